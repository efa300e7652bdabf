/* qs8 depthwise, up8x9, sse41: 8 channels per block, taps paired for pmaddwd, pmovsx widening, SIMD gemmlowp epilogue with per-channel shifts.
 * Body and rationale: qkernels/dwconv-sse.h. */
#include "qkernels/dwconv-sse.h"

void qs8_dwconv_ukernel_up8x9__sse41(size_t channels, size_t output_width, const size_t* indirection,
                                        size_t step, const void* input, const void* zero, const void* weights,
                                        void* output, size_t output_stride, const qk_dwconv_params* params) {
  qk_dwconv_sse(9, /*is_signed=*/1, channels, output_width, indirection, step, input, zero, weights, output,
                output_stride, params);
}
