/* qs8 depthwise, up8x25, NEON (armv7 and aarch64): one output pixel per pass, 8 channels x 25 taps per block.
 * Body and rationale: qkernels/dwconv-neon.h. */
#include "qkernels/dwconv-neon.h"

void qs8_dwconv_ukernel_up8x25__neon(size_t channels, size_t output_width, const size_t* indirection,
                                        size_t step, const void* input, const void* zero, const void* weights,
                                        void* output, size_t output_stride, const qk_dwconv_params* params) {
  qk_dwconv_neon(25, /*is_signed=*/1, channels, output_width, indirection, step, input, zero, weights, output,
                 output_stride, params);
}
