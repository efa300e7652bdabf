/* qs8 depthwise, up16x25, avx512vnni: the AVX2 body (16 channels per block, taps
 * paired) with each vpmaddwd + vpaddd fused into one ymm vpdpwssd (AVX512VL,
 * 32 registers).  Body and rationale: qkernels/dwconv-avx2.h (QK_DW_DOT). */
#include "qkernels/dwconv-avx2.h"

QK_DWCONV_AVX2_UKERNEL(qs8_dwconv_ukernel_up16x25__avx512vnni, 25, /*is_signed=*/1)
