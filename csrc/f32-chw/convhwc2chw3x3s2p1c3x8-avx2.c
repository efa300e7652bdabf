/* Stem convolution 3x3, stride 2, padding 1, HWC (3 channels) -> CHW, AVX2
 * level (uses AVX only; no FMA, see below).
 *
 * Why a third x86 variant: with SSE2 the 8-channel tile needs two weight
 * vectors and a movss+shufps broadcast per input value, so it tops out near
 * 8 flops/cycle.  Here the 8 output channels of a block are one ymm, each
 * input value is a vbroadcastss straight from memory (a load, no shuffle),
 * and a tap is 4 mul + 4 add for 4 pixels: twice the width for the same
 * instruction count.  Multiply and add stay separate (no vfmadd): every lane
 * rounds exactly like the scalar twin, so the variants agree bit for bit.
 *
 * The 4 accumulators hold 8 channels x 4 pixels; the two 128-bit halves go
 * through a 4x4 transpose each so the stores are 4 adjacent pixels of one
 * CHW plane.  Loops, padding, memory rules and the 4-pixel clamp and stores
 * (xmm, vec-sse2.h) are shared with the SSE2 and NEON variants in
 * convhwc2chw-simd.h. */
#include <immintrin.h>

#include "vec-sse2.h"

/* out[c] = 4 pixels of channel c (see convhwc2chw-simd.h). */
QK_INLINE void block_8x4_avx2(const float* const taps[3], const float* w, __m128 out[8]) {
  __m256 acc0 = _mm256_loadu_ps(w), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  w += QK_HWC2CHW_COUT_BLOCK;
  for (size_t ky = 0; ky < 3; ky++, w += 9 * QK_HWC2CHW_COUT_BLOCK) {
    const float* p = taps[ky];
    if (!p) continue;
    for (size_t t = 0; t < 9; t++) { /* t = kx*3 + ci; pixel j's value is p[6*j + t] */
      const __m256 vw = _mm256_loadu_ps(w + t * QK_HWC2CHW_COUT_BLOCK);
      acc0 = _mm256_add_ps(acc0, _mm256_mul_ps(_mm256_broadcast_ss(p + t), vw));
      acc1 = _mm256_add_ps(acc1, _mm256_mul_ps(_mm256_broadcast_ss(p + 6 + t), vw));
      acc2 = _mm256_add_ps(acc2, _mm256_mul_ps(_mm256_broadcast_ss(p + 12 + t), vw));
      acc3 = _mm256_add_ps(acc3, _mm256_mul_ps(_mm256_broadcast_ss(p + 18 + t), vw));
    }
  }
  for (size_t h = 0; h < 2; h++) {
    __m128 r[4] = {h ? _mm256_extractf128_ps(acc0, 1) : _mm256_castps256_ps128(acc0),
                   h ? _mm256_extractf128_ps(acc1, 1) : _mm256_castps256_ps128(acc1),
                   h ? _mm256_extractf128_ps(acc2, 1) : _mm256_castps256_ps128(acc2),
                   h ? _mm256_extractf128_ps(acc3, 1) : _mm256_castps256_ps128(acc3)};
    qk_vec_transpose4(r); /* now r[c] = 4 pixels of channel 4h + c */
    for (size_t c = 0; c < 4; c++) out[4 * h + c] = r[c];
  }
}

#define QK_HWC2CHW_BLOCK block_8x4_avx2
#include "convhwc2chw-simd.h"

/* No _mm256_zeroupper needed by hand: compilers emit vzeroupper on return
 * from functions that use ymm registers. */
QK_CONV_HWC2CHW_3X3S2P1C3X8_SIMD(f32_conv_hwc2chw_ukernel_3x3s2p1c3x8__avx2)
