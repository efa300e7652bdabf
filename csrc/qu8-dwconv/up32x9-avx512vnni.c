/* qu8 depthwise, up32x9, avx512vnni: the AVX2 body on zmm registers, 32
 * channels per block, taps paired for vpdpwssd.  Half the instructions of
 * up16x9 per channel (the unpacks, widens, multiply-adds and requantization
 * all work on 32 channels).  Body and rationale: qkernels/dwconv-avx2.h
 * (QK_DW_ZMM). */
#define QK_DW_ZMM 1
#include "qkernels/dwconv-avx2.h"

QK_DWCONV_AVX2_UKERNEL(qu8_dwconv_ukernel_up32x9__avx512vnni, 9, /*is_signed=*/0)
