/* qu8 depthwise, up32x9, avx512vnni: the AVX2 body on zmm registers, 32
 * channels per block, taps paired for vpdpwssd.  Half the instructions of
 * up16x9 per channel (the unpacks, widens, multiply-adds and requantization
 * all work on 32 channels).  Body and rationale: qkernels/dwconv-avx2.h
 * (QK_DW_ZMM). */
#define QK_DW_ZMM 1
#include "qkernels/dwconv-avx2.h"

void qu8_dwconv_ukernel_up32x9__avx512vnni(size_t channels, size_t output_width, const size_t* indirection,
                                            size_t step, const void* input, const void* zero, const void* weights,
                                            void* output, size_t output_stride, const qk_dwconv_params* params) {
  qk_dwconv_avx2(9, /*is_signed=*/0, channels, output_width, indirection, step, input, zero, weights, output,
                 output_stride, params);
}
