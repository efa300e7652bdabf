/* AVX2-level depthwise CHW convolution, shared by the four dwconv*-avx2.c
 * files: the AVX2 primitives of dwconv-simd.h (which has the loops, padding
 * and memory rules), the SSE2 design at twice the width: 8 adjacent output
 * pixels of one row per ymm.  Stride 1 taps are unaligned loads; at stride 2
 * the even floats of 16 come from one in-lane shufps of two loads followed
 * by a cross-lane vpermpd (AVX2) that puts the four 64-bit pairs in order.
 * Multiply and add stay separate (no vfmadd): each lane adds bias, then w*x
 * per tap in row-major order with the scalar twin's roundings, so the
 * results are bit-identical to it. */
#ifndef QK_F32_CHW_DWCONV_AVX2_H
#define QK_F32_CHW_DWCONV_AVX2_H

#include "vec-avx2.h"

/* weights as broadcast memory operands: vbroadcastss is a plain load */
typedef float qk_dw_w;

QK_INLINE qk_dw_w qk_dw_weight(float w) { return w; }
QK_INLINE qk_vec qk_dw_bias(const qk_dw_w* w) { return _mm256_set1_ps(w[0]); }

QK_INLINE qk_vec qk_dw_tap(const float* p, size_t kx, size_t S) {
  if (S == 1) return _mm256_loadu_ps(p + kx);
  /* [p0 p2 p8 p10 | p4 p6 p12 p14] -> 64-bit pairs 0,2,1,3 -> p0 p2 p4 ... p14 */
  const __m256 e = _mm256_shuffle_ps(_mm256_loadu_ps(p + kx), _mm256_loadu_ps(p + kx + 8), _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
}

QK_INLINE qk_vec qk_dw_mul_add(qk_vec acc, qk_vec x, const qk_dw_w* w) {
  return _mm256_add_ps(acc, _mm256_mul_ps(x, _mm256_broadcast_ss(w)));
}

#include "dwconv-simd.h"

#endif
