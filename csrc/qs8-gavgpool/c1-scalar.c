/* qs8 global average pooling, scalar reference twin: one channel at a time,
 * an exact int32 sum down the rows, then the requant.h epilogue. */
#include "qkernels/gavgpool.h"

void qs8_gavgpool_ukernel_c1__scalar(size_t rows, size_t channels, const void* input, size_t input_stride,
                                     void* output, const qk_gavgpool_params* params) {
  const int8_t* in = (const int8_t*) input;
  int8_t* out = (int8_t*) output;
  for (size_t c = 0; c < channels; c++) {
    int32_t sum = 0;
    const int8_t* p = in + c;
    for (size_t r = 0; r < rows; r++, p += input_stride) sum += *p;
    out[c] = (int8_t) qk_gavgpool_requant(sum, params);
  }
}
