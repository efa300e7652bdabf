/* SSE2 depthwise CHW convolution, shared by the four dwconv*-sse2.c files:
 * the SSE2 primitives of dwconv-simd.h (which has the loops, padding and
 * memory rules).  4 output pixels per vector.  The input vector of tap
 * (ky, kx) is a plain unaligned load at stride 1, and the even lanes of two
 * unaligned loads (one shufps) at stride 2, so no shuffle network has to
 * carry state between blocks.  SSE2 has no FMA, so mulps + addps round
 * exactly like the scalar twin.  Weights are held as broadcast vectors:
 * SSE2 has no broadcast-from-memory, so each is splatted once per call. */
#ifndef QK_F32_CHW_DWCONV_SSE2_H
#define QK_F32_CHW_DWCONV_SSE2_H

#include "vec-sse2.h"

typedef __m128 qk_dw_w;

QK_INLINE qk_dw_w qk_dw_weight(float w) { return _mm_set1_ps(w); }
QK_INLINE qk_vec qk_dw_bias(const qk_dw_w* w) { return w[0]; }

QK_INLINE qk_vec qk_dw_tap(const float* p, size_t kx, size_t S) {
  if (S == 1) return _mm_loadu_ps(p + kx);
  return _mm_shuffle_ps(_mm_loadu_ps(p + kx), _mm_loadu_ps(p + kx + 4), _MM_SHUFFLE(2, 0, 2, 0));
}

QK_INLINE qk_vec qk_dw_mul_add(qk_vec acc, qk_vec x, const qk_dw_w* w) { return _mm_add_ps(acc, _mm_mul_ps(x, *w)); }

#include "dwconv-simd.h"

#endif
