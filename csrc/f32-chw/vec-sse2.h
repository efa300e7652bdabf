/* 4-lane float vector ops for the CHW kernel templates (see vec.h), SSE2.
 * Also used by the AVX2 stem, whose output rows are 4 pixels (xmm). */
#ifndef QK_F32_CHW_VEC_SSE2_H
#define QK_F32_CHW_VEC_SSE2_H

#include <emmintrin.h>

#include "qkernels/chw.h"

typedef __m128 qk_vec;
#define QK_VEC_LANES 4

QK_INLINE qk_vec qk_vec_loadu(const float* p) { return _mm_loadu_ps(p); }
QK_INLINE void qk_vec_storeu(float* p, qk_vec v) { _mm_storeu_ps(p, v); }
QK_INLINE qk_vec qk_vec_dup(float x) { return _mm_set1_ps(x); }
/* SSE2 has no broadcast from memory: movss + shufps */
QK_INLINE qk_vec qk_vec_load_dup(const float* p) { return _mm_set1_ps(*p); }
QK_INLINE qk_vec qk_vec_zero(void) { return _mm_setzero_ps(); }
QK_INLINE qk_vec qk_vec_add(qk_vec a, qk_vec b) { return _mm_add_ps(a, b); }
QK_INLINE qk_vec qk_vec_mul(qk_vec a, qk_vec b) { return _mm_mul_ps(a, b); }
/* minps/maxps return the second operand when either is NaN: with the
 * accumulator second a NaN stays NaN (see qk_chw_clamp). */
QK_INLINE qk_vec qk_vec_clamp(qk_vec v, qk_vec vmin, qk_vec vmax) { return _mm_min_ps(vmax, _mm_max_ps(vmin, v)); }

/* (l0 + l1) + (l2 + l3): the scalar twins' reduction order. */
QK_INLINE float qk_vec_sum_pairs(qk_vec v) {
  float l[4];
  _mm_storeu_ps(l, v);
  return (l[0] + l[1]) + (l[2] + l[3]);
}

/* r_c = lane c of the four inputs (4x4 transpose of floats). */
QK_INLINE void qk_vec_transpose4(qk_vec r[4]) { _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]); }

#include "vec.h"

#endif
