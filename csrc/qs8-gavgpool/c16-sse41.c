/* qs8 global average pooling, SSE4.1, 16 channels per block.  16 channels
 * = one 16-byte load per pixel; rows are summed in int16 lanes 128 at a time
 * and widened to int32 once per 128 rows, then the block is requantized
 * with the fp32 or gemmlowp epilogue.  Body: include/qkernels/glue-sse41.h. */
#include "qkernels/glue-sse41.h"

void qs8_gavgpool_ukernel_c16__sse41(size_t rows, size_t channels, const void* input, size_t input_stride,
                                     void* output, const qk_gavgpool_params* params) {
  qk_gavgpool_c16_sse41(rows, channels, input, input_stride, output, params, 1);
}
