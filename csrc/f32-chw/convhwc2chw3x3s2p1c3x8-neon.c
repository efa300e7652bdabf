/* Stem convolution 3x3, stride 2, padding 1, HWC (3 channels) -> CHW, NEON
 * (armv7 and aarch64).
 *
 * Same tile as the SSE2 variant: 8 output channels (two vectors of packed
 * weights) x 4 output pixels, 8 accumulators + 2 weights + 1 broadcast in
 * 11 of the 16 (armv7) q registers.  The broadcast is vld1q_dup (ld1r), a
 * load rather than a shuffle.  vtrn/vcombine transpose each 4x4 group so
 * the stores are 4 adjacent pixels of one CHW plane.  Each lane sums bias,
 * then the taps in (ky, kx, ci) order with separate vmulq/vaddq (no fused
 * multiply-add): the scalar twin's exact arithmetic.
 *
 * Memory: interior blocks read the image in place (input columns 2*x0-1 ..
 * 2*x0+7); blocks at the padding or the right edge copy the valid part into
 * a zero-filled stack patch first.  Padded rows are skipped; output
 * channels past the end of the last block are computed with zero weights
 * and never stored. */
#include <arm_neon.h>

#include "qkernels/chw.h"

static void block_8x4(const float* const taps[3], const float* w, float32x4_t acc[4][2]) {
  for (size_t j = 0; j < 4; j++) {
    acc[j][0] = vld1q_f32(w);
    acc[j][1] = vld1q_f32(w + 4);
  }
  w += QK_HWC2CHW_COUT_BLOCK;
  for (size_t ky = 0; ky < 3; ky++, w += 9 * QK_HWC2CHW_COUT_BLOCK) {
    const float* p = taps[ky];
    if (!p) continue;
    for (size_t t = 0; t < 9; t++) { /* t = kx*3 + ci; pixel j's value is p[6*j + t] */
      const float32x4_t w0 = vld1q_f32(w + t * QK_HWC2CHW_COUT_BLOCK);
      const float32x4_t w1 = vld1q_f32(w + t * QK_HWC2CHW_COUT_BLOCK + 4);
      for (size_t j = 0; j < 4; j++) {
        const float32x4_t x = vld1q_dup_f32(p + 6 * j + t);
        acc[j][0] = vaddq_f32(acc[j][0], vmulq_f32(x, w0));
        acc[j][1] = vaddq_f32(acc[j][1], vmulq_f32(x, w1));
      }
    }
  }
}

void f32_conv_hwc2chw_ukernel_3x3s2p1c3x8__neon(size_t input_height, size_t input_width, size_t output_y_start,
                                                size_t output_y_end, const float* input,
                                                const float* packed_weights, float* output,
                                                size_t output_channels, const qk_chw_params* params) {
  const size_t output_height = (input_height - 1) / 2 + 1;
  const size_t output_width = (input_width - 1) / 2 + 1;
  const size_t plane = output_height * output_width;
  const size_t row_floats = input_width * 3;
  const float32x4_t vmin = vdupq_n_f32(params->min);
  const float32x4_t vmax = vdupq_n_f32(params->max);
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
        float32x4_t acc[4][2];
        block_8x4(taps, packed_weights + co / QK_HWC2CHW_COUT_BLOCK * QK_HWC2CHW_BLOCK_FLOATS, acc);
        for (size_t h = 0; h < 2; h++) {
          /* 4x4 transpose: rows of channels per pixel -> rows of pixels per channel */
          const float32x4x2_t t01 = vtrnq_f32(acc[0][h], acc[1][h]);
          const float32x4x2_t t23 = vtrnq_f32(acc[2][h], acc[3][h]);
          float32x4_t v[4];
          v[0] = vcombine_f32(vget_low_f32(t01.val[0]), vget_low_f32(t23.val[0]));
          v[1] = vcombine_f32(vget_low_f32(t01.val[1]), vget_low_f32(t23.val[1]));
          v[2] = vcombine_f32(vget_high_f32(t01.val[0]), vget_high_f32(t23.val[0]));
          v[3] = vcombine_f32(vget_high_f32(t01.val[1]), vget_high_f32(t23.val[1]));
          for (size_t c = 0; c < 4; c++) {
            const size_t channel = co + 4 * h + c;
            if (channel >= output_channels) break;
            const float32x4_t r = vminq_f32(vmaxq_f32(v[c], vmin), vmax);
            float* out = output + channel * plane + y * output_width + x0;
            if (n == 4) {
              vst1q_f32(out, r);
            } else {
              float tmp[4];
              vst1q_f32(tmp, r);
              for (size_t i = 0; i < n; i++) out[i] = tmp[i];
            }
          }
        }
      }
    }
  }
}
