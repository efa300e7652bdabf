/* Depthwise 3x3 convolution, stride 2, padding 1, one CHW channel plane, NEON
 * (armv7 and aarch64): 4 output pixels per vector (approach, rounding and
 * memory rules in dwconv-neon.h). */
#include "dwconv-neon.h"

QK_DWCONV2D_CHW_NEON(f32_dwconv2d_chw_ukernel_3x3s2p1__neon, 3, 2, 1)
