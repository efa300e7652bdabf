/* qu8 depthwise, up8x9x3, aarch64 NEON: 3x3 stride 1, three output pixels per
 * pass sharing a 3x5 input window and the block's weights (falls back to one
 * pixel per pass elsewhere).  Body and rationale: qkernels/dwconv-neon-x3.h.
 * The file is built for armv7 too (a "neon" file) but is empty there. */
#if defined(__aarch64__)
#include "qkernels/dwconv-neon-x3.h"

void qu8_dwconv_ukernel_up8x9x3__neon(size_t channels, size_t output_width, const size_t* indirection,
                                        size_t step, const void* input, const void* zero, const void* weights,
                                        void* output, size_t output_stride, const qk_dwconv_params* params) {
  qk_dwconv_neon_x3(/*is_signed=*/0, channels, output_width, indirection, step, input, zero, weights, output,
                    output_stride, params);
}
#else
typedef int qk_qu8_dwconv_up8x9x3_neon_is_aarch64_only; /* keeps the translation unit non-empty */
#endif
