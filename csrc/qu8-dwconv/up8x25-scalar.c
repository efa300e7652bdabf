/* qu8 depthwise, up to 8 channels per block x 25 taps, portable C: the
 * reference twin of every qu8_dwconv25 variant (body: dwconv-scalar.h). */
#include "qkernels/dwconv-scalar.h"

void qu8_dwconv_ukernel_up8x25__scalar(size_t channels, size_t output_width, const size_t* indirection,
                                        size_t step, const void* input, const void* zero, const void* weights,
                                        void* output, size_t output_stride, const qk_dwconv_params* params) {
  qk_dwconv_scalar(25, /*is_signed=*/0, channels, output_width, indirection, step, input, zero, weights,
                   output, output_stride, params);
}
