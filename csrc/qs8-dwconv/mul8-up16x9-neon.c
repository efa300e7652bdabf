/* qs8 depthwise, int8-weight layout, 16 channels x 9 taps, NEON armv7 and
 * aarch64: one output pixel per pass (body and rationale:
 * dwconv-mul8-neon.h). */
#include "qkernels/dwconv-mul8-neon.h"

QK_DW8_KERNEL(qs8_dwconv_mul8_ukernel_up16x9__neon, 1, 1)
