/* 8-lane float vector ops for the CHW kernel templates (see vec.h), AVX2
 * level (the depthwise kernels; the AVX2 stem stores 4-pixel rows and uses
 * vec-sse2.h). */
#ifndef QK_F32_CHW_VEC_AVX2_H
#define QK_F32_CHW_VEC_AVX2_H

#include <immintrin.h>

#include "qkernels/chw.h"

typedef __m256 qk_vec;
#define QK_VEC_LANES 8

QK_INLINE qk_vec qk_vec_loadu(const float* p) { return _mm256_loadu_ps(p); }
QK_INLINE void qk_vec_storeu(float* p, qk_vec v) { _mm256_storeu_ps(p, v); }
QK_INLINE qk_vec qk_vec_dup(float x) { return _mm256_set1_ps(x); }
/* vbroadcastss from memory is a plain load */
QK_INLINE qk_vec qk_vec_load_dup(const float* p) { return _mm256_broadcast_ss(p); }
QK_INLINE qk_vec qk_vec_zero(void) { return _mm256_setzero_ps(); }
QK_INLINE qk_vec qk_vec_add(qk_vec a, qk_vec b) { return _mm256_add_ps(a, b); }
QK_INLINE qk_vec qk_vec_mul(qk_vec a, qk_vec b) { return _mm256_mul_ps(a, b); }
/* operand order keeps a NaN accumulator NaN (see qk_chw_clamp) */
QK_INLINE qk_vec qk_vec_clamp(qk_vec v, qk_vec vmin, qk_vec vmax) {
  return _mm256_min_ps(vmax, _mm256_max_ps(vmin, v));
}

#include "vec.h"

#endif
