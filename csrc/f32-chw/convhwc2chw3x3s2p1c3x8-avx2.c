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
 * CHW plane.  Memory rules as in the SSE2 variant: interior blocks read the
 * image in place, edge blocks a zero-filled stack patch, padded rows are
 * skipped, channels past output_channels are never stored. */
#include <immintrin.h>

#include "qkernels/chw.h"

void f32_conv_hwc2chw_ukernel_3x3s2p1c3x8__avx2(size_t input_height, size_t input_width, size_t output_y_start,
                                                size_t output_y_end, const float* input,
                                                const float* packed_weights, float* output,
                                                size_t output_channels, const qk_chw_params* params) {
  const size_t output_height = (input_height - 1) / 2 + 1;
  const size_t output_width = (input_width - 1) / 2 + 1;
  const size_t plane = output_height * output_width;
  const size_t row_floats = input_width * 3;
  const __m128 vmin = _mm_set1_ps(params->min);
  const __m128 vmax = _mm_set1_ps(params->max);
  float patch[3][9 * 3]; /* 3 rows x 9 columns x 3 channels */

  for (size_t y = output_y_start; y < output_y_end; y++) {
    const float* rows[3];
    for (size_t ky = 0; ky < 3; ky++) {
      const size_t iy = 2 * y + ky; /* padded coordinate: input row iy - 1 */
      rows[ky] = iy >= 1 && iy - 1 < input_height ? input + (iy - 1) * row_floats : NULL;
    }
    for (size_t x0 = 0; x0 < output_width; x0 += 4) {
      const size_t n = output_width - x0 < 4 ? output_width - x0 : 4;
      const float* taps[3];
      if (x0 >= 1 && 2 * x0 + 8 <= input_width) {
        for (size_t ky = 0; ky < 3; ky++) taps[ky] = rows[ky] ? rows[ky] + (2 * x0 - 1) * 3 : NULL;
      } else {
        /* valid padded columns [lo, hi) of the block's [2*x0, 2*x0 + 9) */
        const size_t lo = x0 == 0 ? 1 : 0;
        const size_t hi = input_width + 1 - 2 * x0 < 9 ? input_width + 1 - 2 * x0 : 9;
        for (size_t ky = 0; ky < 3; ky++) {
          taps[ky] = NULL;
          if (!rows[ky]) continue;
          memset(patch[ky], 0, sizeof patch[ky]);
          memcpy(patch[ky] + lo * 3, rows[ky] + (2 * x0 + lo - 1) * 3, (hi - lo) * 3 * sizeof(float));
          taps[ky] = patch[ky];
        }
      }
      for (size_t co = 0; co < output_channels; co += QK_HWC2CHW_COUT_BLOCK) {
        const float* w = packed_weights + co / QK_HWC2CHW_COUT_BLOCK * QK_HWC2CHW_BLOCK_FLOATS;
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
          __m128 r0 = h ? _mm256_extractf128_ps(acc0, 1) : _mm256_castps256_ps128(acc0);
          __m128 r1 = h ? _mm256_extractf128_ps(acc1, 1) : _mm256_castps256_ps128(acc1);
          __m128 r2 = h ? _mm256_extractf128_ps(acc2, 1) : _mm256_castps256_ps128(acc2);
          __m128 r3 = h ? _mm256_extractf128_ps(acc3, 1) : _mm256_castps256_ps128(acc3);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3); /* now r_c = 4 pixels of channel co + 4h + c */
          const __m128 v[4] = {r0, r1, r2, r3};
          for (size_t c = 0; c < 4; c++) {
            const size_t channel = co + 4 * h + c;
            if (channel >= output_channels) break;
            const __m128 r = _mm_min_ps(vmax, _mm_max_ps(vmin, v[c]));
            float* out = output + channel * plane + y * output_width + x0;
            if (n == 4) {
              _mm_storeu_ps(out, r);
            } else {
              float tmp[4];
              _mm_storeu_ps(tmp, r);
              for (size_t i = 0; i < n; i++) out[i] = tmp[i];
            }
          }
        }
      }
    }
  }
  /* No _mm256_zeroupper needed by hand: compilers emit vzeroupper on return
   * from functions that use ymm registers. */
}
