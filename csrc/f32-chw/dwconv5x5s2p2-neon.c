/* Depthwise 5x5 convolution, stride 2, padding 2, one CHW channel plane, NEON
 * (armv7 and aarch64): 4 output pixels per vector (approach and
 * rounding in dwconv-neon.h, loops and memory rules in dwconv-simd.h). */
#include "dwconv-neon.h"

QK_DWCONV2D_CHW_SIMD(f32_dwconv2d_chw_ukernel_5x5s2p2__neon, 5, 2, 2)
