/* qs8 global average pooling, NEON (armv7 and aarch64), 16 channels per
 * block: one 16-byte load and two vaddw per pixel into 16-bit sums, widened
 * to int32 every 128 rows, then the fp32 or gemmlowp epilogue.
 * Body: include/qkernels/glue-neon.h. */
#include "qkernels/glue-neon.h"

void qs8_gavgpool_ukernel_c16__neon(size_t rows, size_t channels, const void* input, size_t input_stride,
                                    void* output, const qk_gavgpool_params* params) {
  qk_gavgpool_c16_neon(rows, channels, input, input_stride, output, params, 1);
}
