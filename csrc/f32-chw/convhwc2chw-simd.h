/* Stem convolution 3x3, stride 2, padding 1, HWC (3 channels) -> CHW, the
 * ISA-independent part of the SIMD variants: row and pixel-block loops,
 * padding, channel and pixel tails.  The including .c file provides 4-lane
 * vector ops (vec-sse2.h or vec-neon.h, see vec.h) and names its block
 * function QK_HWC2CHW_BLOCK(taps, w, out): 8 output channels x 4 output
 * pixels, out[c] = the 4 pixels of channel c before the clamp, each lane
 * summing bias then the taps in (ky, kx, ci) order (the scalar twin's exact
 * order, separate multiply and add).  qk_hwc2chw_block_4lanes below is that
 * block for 4-lane ISAs.
 *
 * Memory: the 4 pixels of a block read input columns 2*x0-1 .. 2*x0+7 of 3
 * rows.  Interior blocks read the image in place; blocks that touch the
 * padding or the right edge first copy the valid part into a zero-filled
 * stack patch, so nothing outside the image is read.  Padded rows are
 * skipped.  Output channels past the end of the last block are computed with
 * zero weights but never stored. */
#ifndef QK_F32_CHW_CONVHWC2CHW_SIMD_H
#define QK_F32_CHW_CONVHWC2CHW_SIMD_H

#include <string.h>

#include "qkernels/chw.h"

/* One block with two 4-lane weight vectors per tap: per tap the 4 pixels'
 * input values are broadcast and multiplied by both, 8 mul + 8 add per 2
 * weight loads and 4 broadcasts, with the 8 accumulators, 2 weights and a
 * broadcast in 11 of the 16 registers (xmm, armv7 q).  The accumulators hold
 * channels in lanes; a 4x4 transpose per half turns them into rows of 4
 * adjacent pixels per channel.  taps[ky] points at column 2*x0-1, channel 0
 * of input row ky (NULL for a padded row). */
QK_INLINE void qk_hwc2chw_block_4lanes(const float* const taps[3], const float* w, qk_vec out[8]) {
  qk_vec acc[4][2];
  for (size_t j = 0; j < 4; j++) {
    acc[j][0] = qk_vec_loadu(w);
    acc[j][1] = qk_vec_loadu(w + 4);
  }
  w += QK_HWC2CHW_COUT_BLOCK;
  for (size_t ky = 0; ky < 3; ky++, w += 9 * QK_HWC2CHW_COUT_BLOCK) {
    const float* p = taps[ky];
    if (!p) continue;
    for (size_t t = 0; t < 9; t++) { /* t = kx*3 + ci; pixel j's value is p[6*j + t] */
      const qk_vec w0 = qk_vec_loadu(w + t * QK_HWC2CHW_COUT_BLOCK);
      const qk_vec w1 = qk_vec_loadu(w + t * QK_HWC2CHW_COUT_BLOCK + 4);
      for (size_t j = 0; j < 4; j++) {
        const qk_vec x = qk_vec_load_dup(p + 6 * j + t);
        acc[j][0] = qk_vec_add(acc[j][0], qk_vec_mul(x, w0));
        acc[j][1] = qk_vec_add(acc[j][1], qk_vec_mul(x, w1));
      }
    }
  }
  for (size_t h = 0; h < 2; h++) {
    qk_vec r[4] = {acc[0][h], acc[1][h], acc[2][h], acc[3][h]};
    qk_vec_transpose4(r); /* now r[c] = 4 pixels of channel 4h + c */
    for (size_t c = 0; c < 4; c++) out[4 * h + c] = r[c];
  }
}

QK_INLINE void qk_conv_hwc2chw_3x3s2p1c3x8_simd(size_t input_height, size_t input_width, size_t output_y_start,
                                                size_t output_y_end, const float* input, const float* packed_weights,
                                                float* output, size_t output_channels, const qk_chw_params* params) {
  const size_t output_height = (input_height - 1) / 2 + 1;
  const size_t output_width = (input_width - 1) / 2 + 1;
  const size_t plane = output_height * output_width;
  const size_t row_floats = input_width * 3;
  const qk_vec vmin = qk_vec_dup(params->min);
  const qk_vec vmax = qk_vec_dup(params->max);
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
        qk_vec v[QK_HWC2CHW_COUT_BLOCK];
        QK_HWC2CHW_BLOCK(taps, packed_weights + co / QK_HWC2CHW_COUT_BLOCK * QK_HWC2CHW_BLOCK_FLOATS, v);
        for (size_t c = 0; c < QK_HWC2CHW_COUT_BLOCK && co + c < output_channels; c++) {
          qk_vec_store_n(output + (co + c) * plane + y * output_width + x0, qk_vec_clamp(v[c], vmin, vmax), n);
        }
      }
    }
  }
}

#define QK_CONV_HWC2CHW_3X3S2P1C3X8_SIMD(NAME)                                                                 \
  void NAME(size_t input_height, size_t input_width, size_t output_y_start, size_t output_y_end,              \
            const float* input, const float* packed_weights, float* output, size_t output_channels,           \
            const qk_chw_params* params) {                                                                     \
    qk_conv_hwc2chw_3x3s2p1c3x8_simd(input_height, input_width, output_y_start, output_y_end, input,           \
                                     packed_weights, output, output_channels, params);                         \
  }

#endif
