/* qu8 depthwise, up16x25, avx2: 16 channels per block, taps paired for 256-bit vpmaddwd.
 * Body and rationale: qkernels/dwconv-avx2.h. */
#include "qkernels/dwconv-avx2.h"

QK_DWCONV_AVX2_UKERNEL(qu8_dwconv_ukernel_up16x25__avx2, 25, /*is_signed=*/0)
