/* qs8 depthwise, up32x25, avx512vnni: the AVX2 body on zmm registers, 32
 * channels per block, taps paired for vpdpwssd (the per-pixel path: 5x5
 * kernels are never streamed by columns).  Body and rationale:
 * qkernels/dwconv-avx2.h (QK_DW_ZMM). */
#define QK_DW_ZMM 1
#include "qkernels/dwconv-avx2.h"

void qs8_dwconv_ukernel_up32x25__avx512vnni(size_t channels, size_t output_width, const size_t* indirection,
                                             size_t step, const void* input, const void* zero, const void* weights,
                                             void* output, size_t output_stride, const qk_dwconv_params* params) {
  qk_dwconv_avx2(25, /*is_signed=*/1, channels, output_width, indirection, step, input, zero, weights, output,
                 output_stride, params);
}
