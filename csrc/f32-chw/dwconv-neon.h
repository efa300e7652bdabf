/* NEON depthwise CHW convolution (armv7 and aarch64), shared by the four
 * dwconv*-neon.c files: the NEON primitives of dwconv-simd.h (which has the
 * loops, padding and memory rules).  4 output pixels per vector.
 * Stride 1 taps are unaligned vld1q loads; at stride 2, vld2q de-interleaves
 * even and odd columns in one instruction, so tap kx (even) is
 * vld2q(p + kx).val[0] and tap kx (odd) is vld2q(p + kx - 1).val[1].
 *
 * Rounding: a separate vmulq and vaddq per tap, never vfmaq or vmlaq (fused
 * on aarch64 compilers that contract): the same two roundings per tap as the
 * scalar twin, so the results are bit-identical (armv7 NEON flushes
 * denormals, see chw.h). */
#ifndef QK_F32_CHW_DWCONV_NEON_H
#define QK_F32_CHW_DWCONV_NEON_H

#include "vec-neon.h"

/* Weights stay scalars: vmulq_n_f32 multiplies by a lane of a register, so
 * the compiler keeps them in s/d registers without 26 broadcasts. */
typedef float qk_dw_w;

QK_INLINE qk_dw_w qk_dw_weight(float w) { return w; }
QK_INLINE qk_vec qk_dw_bias(const qk_dw_w* w) { return vdupq_n_f32(w[0]); }

QK_INLINE qk_vec qk_dw_tap(const float* p, size_t kx, size_t S) {
  if (S == 1) return vld1q_f32(p + kx);
  if (kx % 2 == 0) return vld2q_f32(p + kx).val[0];
  return vld2q_f32(p + kx - 1).val[1];
}

QK_INLINE qk_vec qk_dw_mul_add(qk_vec acc, qk_vec x, const qk_dw_w* w) { return vaddq_f32(acc, vmulq_n_f32(x, *w)); }

#include "dwconv-simd.h"

#endif
