/* qu8 global average pooling, scalar reference twin: one channel at a time,
 * an exact int32 sum down the rows, then the requant.h epilogue. */
#include "qkernels/gavgpool.h"

void qu8_gavgpool_ukernel_c1__scalar(size_t rows, size_t channels, const void* input, size_t input_stride,
                                     void* output, const qk_gavgpool_params* params) {
  const uint8_t* in = (const uint8_t*) input;
  uint8_t* out = (uint8_t*) output;
  for (size_t c = 0; c < channels; c++) {
    int32_t sum = 0;
    const uint8_t* p = in + c;
    for (size_t r = 0; r < rows; r++, p += input_stride) sum += *p;
    out[c] = (uint8_t) qk_gavgpool_requant(sum, params);
  }
}
