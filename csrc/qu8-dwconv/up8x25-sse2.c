/* qu8 depthwise, up8x25, sse2: 8 channels per block, taps paired for pmaddwd (gemmlowp epilogue in scalar: SSE2 lacks 32-bit abs/sign/blend).
 * Body and rationale: qkernels/dwconv-sse.h. */
#include "qkernels/dwconv-sse.h"

void qu8_dwconv_ukernel_up8x25__sse2(size_t channels, size_t output_width, const size_t* indirection,
                                        size_t step, const void* input, const void* zero, const void* weights,
                                        void* output, size_t output_stride, const qk_dwconv_params* params) {
  qk_dwconv_sse(25, /*is_signed=*/0, channels, output_width, indirection, step, input, zero, weights, output,
                output_stride, params);
}
