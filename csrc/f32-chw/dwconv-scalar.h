/* Scalar depthwise CHW convolution, shared by the four dwconv*-scalar.c
 * files (each instantiates it with its own constant K, S, P so the compiler
 * specializes the loops).  This is the reference every SIMD twin must equal:
 * per output pixel, acc = bias, then for each tap in row-major order
 * acc = acc + w*x, skipping taps that fall into the zero padding, then the
 * clamp.  The product and the sum are separate statements so no compiler
 * contracts them into an FMA (clang's default -ffp-contract=on contracts
 * within one expression), keeping the rounding identical to the SIMD code. */
#ifndef QK_F32_CHW_DWCONV_SCALAR_H
#define QK_F32_CHW_DWCONV_SCALAR_H

#include "dwconv.h"

QK_INLINE void qk_dwconv2d_chw_scalar(const size_t K, const size_t S, const size_t P, size_t input_height,
                                      size_t input_width, size_t output_y_start, size_t output_y_end,
                                      const float* input, const float* weights, float* output,
                                      const qk_chw_params* params) {
  const size_t output_width = (input_width + 2 * P - K) / S + 1;
  for (size_t y = output_y_start; y < output_y_end; y++) {
    float* out = output + y * output_width;
    for (size_t x = 0; x < output_width; x++) {
      float acc = weights[0];
      for (size_t ky = 0; ky < K; ky++) {
        /* Padded coordinates (iy = y*S + ky - P) kept unsigned: iy < P or
         * iy - P >= H means the tap is in the zero padding. */
        const size_t iy = y * S + ky;
        if (iy < P || iy - P >= input_height) continue;
        const float* row = input + (iy - P) * input_width;
        for (size_t kx = 0; kx < K; kx++) {
          const size_t ix = x * S + kx;
          if (ix < P || ix - P >= input_width) continue;
          const float product = weights[1 + ky * K + kx] * row[ix - P];
          acc += product;
        }
      }
      out[x] = qk_chw_clamp(acc, params);
    }
  }
}

#define QK_DWCONV2D_CHW_SCALAR(NAME, K, S, P) QK_DWCONV2D_CHW_DEFINE(NAME, qk_dwconv2d_chw_scalar, K, S, P)

#endif
