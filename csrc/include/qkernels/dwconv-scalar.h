/* The scalar depthwise kernel, shared by the qs8/qu8 x 9/25-tap scalar
 * variants (each file instantiates it with constant `taps` and signedness,
 * so the compiler specializes it).  This is the reference twin every SIMD
 * variant must equal bit for bit: exact int32 products, modulo-2^32 sums
 * (unsigned adds, no signed-overflow UB), requantization by requant.h. */
#ifndef QKERNELS_DWCONV_SCALAR_H
#define QKERNELS_DWCONV_SCALAR_H

#include "qkernels/dwconv.h"

#define QK_DWCONV_SCALAR_CR 8

QK_INLINE void qk_dwconv_scalar(size_t taps, int is_signed, size_t channels, size_t output_width,
                                const size_t* indirection, size_t step, const void* input, const void* zero,
                                const void* weights, void* output, size_t output_stride,
                                const qk_dwconv_params* params) {
  const size_t cr = QK_DWCONV_SCALAR_CR;
  const size_t block = qk_dwconv_block_bytes(cr, taps, 1, params->mode);
  uint8_t* out = (uint8_t*) output;
  for (size_t px = 0; px < output_width; px++) {
    const uint8_t* rows[QK_DWCONV_MAX_TAPS];
    for (size_t t = 0; t < taps; t++) rows[t] = qk_dwconv_tap(indirection[t], input, zero);
    const uint8_t* w = (const uint8_t*) weights;
    for (size_t c0 = 0; c0 < channels; c0 += cr) {
      const int32_t* bias = (const int32_t*) w;
      const int16_t* wt = (const int16_t*) (w + cr * sizeof(int32_t));
      const uint8_t* rq = w + cr * sizeof(int32_t) + taps * cr * sizeof(int16_t);
      const size_t n = QK_MIN(cr, channels - c0);
      for (size_t j = 0; j < n; j++) {
        const size_t c = c0 + j;
        uint32_t acc = (uint32_t) bias[j];
        for (size_t t = 0; t < taps; t++) {
          const int32_t x = is_signed ? (int32_t) (int8_t) rows[t][c] : (int32_t) rows[t][c];
          acc += (uint32_t) (x * (int32_t) wt[t * cr + j]);
        }
        const int32_t y = qk_dwconv_requant_scalar((int32_t) acc, rq, j, cr, params);
        out[c] = (uint8_t) y; /* int8 results are stored by their two's complement byte */
      }
      w += block;
    }
    indirection += step;
    out += output_stride;
  }
}

#endif
