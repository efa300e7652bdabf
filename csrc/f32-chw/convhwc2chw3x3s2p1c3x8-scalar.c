/* Stem convolution 3x3, stride 2, padding 1, HWC input with 3 channels ->
 * CHW output: the scalar reference twin.  It reads the same packed weights as
 * the SIMD variants (blocks of 8 output channels: bias[8], then 27 taps x 8)
 * and sums each output in the SIMD lane order: bias, then taps in
 * (ky, kx, ci) order, skipping the zero padding; product and sum are
 * separate statements so no compiler fuses them into an FMA. */
#include "qkernels/chw.h"

void f32_conv_hwc2chw_ukernel_3x3s2p1c3x8__scalar(size_t input_height, size_t input_width, size_t output_y_start,
                                                  size_t output_y_end, const float* input,
                                                  const float* packed_weights, float* output,
                                                  size_t output_channels, const qk_chw_params* params) {
  const size_t output_height = (input_height - 1) / 2 + 1;
  const size_t output_width = (input_width - 1) / 2 + 1;
  const size_t plane = output_height * output_width;
  for (size_t co = 0; co < output_channels; co++) {
    const float* w = packed_weights + co / QK_HWC2CHW_COUT_BLOCK * QK_HWC2CHW_BLOCK_FLOATS;
    const size_t lane = co % QK_HWC2CHW_COUT_BLOCK;
    for (size_t y = output_y_start; y < output_y_end; y++) {
      float* out = output + co * plane + y * output_width;
      for (size_t x = 0; x < output_width; x++) {
        float acc = w[lane];
        for (size_t ky = 0; ky < 3; ky++) {
          const size_t iy = 2 * y + ky; /* padded row: input row iy - 1 */
          if (iy < 1 || iy - 1 >= input_height) continue;
          for (size_t kx = 0; kx < 3; kx++) {
            const size_t ix = 2 * x + kx;
            if (ix < 1 || ix - 1 >= input_width) continue;
            const float* pixel = input + ((iy - 1) * input_width + (ix - 1)) * 3;
            for (size_t ci = 0; ci < 3; ci++) {
              const size_t tap = (ky * 3 + kx) * 3 + ci;
              const float product = w[QK_HWC2CHW_COUT_BLOCK * (1 + tap) + lane] * pixel[ci];
              acc += product;
            }
          }
        }
        out[x] = qk_chw_clamp(acc, params);
      }
    }
  }
}
