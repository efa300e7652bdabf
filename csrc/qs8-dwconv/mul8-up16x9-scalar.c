/* qs8 depthwise on the int8-weight layout (dwconv.h), 16 channels per block x
 * 9 taps, portable C: the reference twin of every qs8_dwconv9_mul8 variant.
 * Exact int32 products, modulo-2^32 sums, requantization by requant.h (the
 * same arithmetic as dwconv-scalar.h, reading int8 instead of int16 taps). */
#include "qkernels/dwconv.h"

void qs8_dwconv_mul8_ukernel_up16x9__scalar(size_t channels, size_t output_width, const size_t* indirection,
                                              size_t step, const void* input, const void* zero, const void* weights,
                                              void* output, size_t output_stride, const qk_dwconv_params* params) {
  enum { CR = 16, TAPS = 9 };
  const size_t block = qk_dwconv_mul8_block_bytes(CR, TAPS, params->mode);
  uint8_t* out = (uint8_t*) output;
  for (size_t px = 0; px < output_width; px++) {
    const uint8_t* rows[TAPS];
    for (size_t t = 0; t < TAPS; t++) rows[t] = qk_dwconv_tap(indirection[t], input, zero);
    const uint8_t* w = (const uint8_t*) weights;
    for (size_t c0 = 0; c0 < channels; c0 += CR) {
      const int32_t* bias = (const int32_t*) w;
      const int8_t* wt = (const int8_t*) (w + CR * sizeof(int32_t));
      const uint8_t* rq = w + CR * sizeof(int32_t) + qk_round_up(TAPS * CR, 4);
      const size_t n = QK_MIN((size_t) CR, channels - c0);
      for (size_t j = 0; j < n; j++) {
        const size_t c = c0 + j;
        uint32_t acc = (uint32_t) bias[j];
        for (size_t t = 0; t < TAPS; t++) {
          acc += (uint32_t) ((int32_t) (int8_t) rows[t][c] * (int32_t) wt[t * CR + j]);
        }
        const int32_t y = qk_dwconv_requant_scalar((int32_t) acc, rq, j, CR, params);
        out[c] = (uint8_t) y; /* int8 results are stored by their two's complement byte */
      }
      w += block;
    }
    indirection += step;
    out += output_stride;
  }
}
