/* Stem convolution 3x3, stride 2, padding 1, HWC (3 channels) -> CHW, SSE2.
 *
 * Tile: 8 output channels (two vectors of packed weights) x 4 output
 * pixels.  Per tap (ky, kx, ci) the 4 pixels' input values are broadcast
 * and multiplied by the weight vectors: 8 mul + 8 add per 2 weight loads and
 * 4 broadcasts, with the 8 accumulators, 2 weights and a broadcast in 11 of
 * the 16 xmm registers.  The accumulators hold channels in lanes; a 4x4
 * transpose turns them into rows of 4 adjacent pixels per channel, stored
 * straight into the CHW planes.  Each lane sums bias then the taps in
 * (ky, kx, ci) order: the scalar twin's exact order.
 *
 * Memory: the 4 pixels of a block read input columns 2*x0-1 .. 2*x0+7 of 3
 * rows.  Interior blocks read the image in place; blocks that touch the
 * padding or the right edge first copy the valid part into a zero-filled
 * stack patch, so nothing outside the image is read.  Padded rows are
 * skipped.  Output channels past the end of a block are computed with zero
 * weights but never stored. */
#include <emmintrin.h>

#include "qkernels/chw.h"

/* One block: 8 channels x 4 pixels.  taps[ky] points at column 2*x0-1,
 * channel 0 of input row ky (NULL for a padded row). */
static void block_8x4(const float* const taps[3], const float* w, __m128 acc[4][2]) {
  for (size_t j = 0; j < 4; j++) {
    acc[j][0] = _mm_loadu_ps(w);
    acc[j][1] = _mm_loadu_ps(w + 4);
  }
  w += QK_HWC2CHW_COUT_BLOCK;
  for (size_t ky = 0; ky < 3; ky++, w += 9 * QK_HWC2CHW_COUT_BLOCK) {
    const float* p = taps[ky];
    if (!p) continue;
    for (size_t t = 0; t < 9; t++) { /* t = kx*3 + ci; pixel j's value is p[6*j + t] */
      const __m128 w0 = _mm_loadu_ps(w + t * QK_HWC2CHW_COUT_BLOCK);
      const __m128 w1 = _mm_loadu_ps(w + t * QK_HWC2CHW_COUT_BLOCK + 4);
      for (size_t j = 0; j < 4; j++) {
        const __m128 x = _mm_set1_ps(p[6 * j + t]);
        acc[j][0] = _mm_add_ps(acc[j][0], _mm_mul_ps(x, w0));
        acc[j][1] = _mm_add_ps(acc[j][1], _mm_mul_ps(x, w1));
      }
    }
  }
}

void f32_conv_hwc2chw_ukernel_3x3s2p1c3x8__sse2(size_t input_height, size_t input_width, size_t output_y_start,
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
        for (size_t ky = 0; ky < 3; ky++) {
          taps[ky] = NULL;
          if (!rows[ky]) continue;
          for (size_t t = 0; t < 9; t++) {
            const size_t ix = 2 * x0 + t; /* padded column: input column ix - 1 */
            const int inside = ix >= 1 && ix - 1 < input_width;
            for (size_t ci = 0; ci < 3; ci++) patch[ky][t * 3 + ci] = inside ? rows[ky][(ix - 1) * 3 + ci] : 0.0f;
          }
          taps[ky] = patch[ky];
        }
      }
      for (size_t co = 0; co < output_channels; co += QK_HWC2CHW_COUT_BLOCK) {
        __m128 acc[4][2];
        block_8x4(taps, packed_weights + co / QK_HWC2CHW_COUT_BLOCK * QK_HWC2CHW_BLOCK_FLOATS, acc);
        for (size_t h = 0; h < 2; h++) {
          __m128 r0 = acc[0][h], r1 = acc[1][h], r2 = acc[2][h], r3 = acc[3][h];
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3); /* now r_c = 4 pixels of channel co + 4h + c */
          __m128 rows_out[4] = {r0, r1, r2, r3};
          for (size_t c = 0; c < 4; c++) {
            const size_t channel = co + 4 * h + c;
            if (channel >= output_channels) break;
            const __m128 v = _mm_min_ps(vmax, _mm_max_ps(vmin, rows_out[c]));
            float* out = output + channel * plane + y * output_width + x0;
            if (n == 4) {
              _mm_storeu_ps(out, v);
            } else {
              float tmp[4];
              _mm_storeu_ps(tmp, v);
              for (size_t i = 0; i < n; i++) out[i] = tmp[i];
            }
          }
        }
      }
    }
  }
}
