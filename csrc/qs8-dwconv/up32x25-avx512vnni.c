/* qs8 depthwise, up32x25, avx512vnni: the AVX2 body on zmm registers, 32
 * channels per block, taps paired for vpdpwssd (the per-pixel path: 5x5
 * kernels are never streamed by columns).  Body and rationale:
 * qkernels/dwconv-avx2.h (QK_DW_ZMM). */
#define QK_DW_ZMM 1
#include "qkernels/dwconv-avx2.h"

QK_DWCONV_AVX2_UKERNEL(qs8_dwconv_ukernel_up32x25__avx512vnni, 25, /*is_signed=*/1)
