/* Depthwise 3x3 convolution, stride 1, padding 1, one CHW channel plane, NEON
 * (armv7 and aarch64): 4 output pixels per vector (approach and
 * rounding in dwconv-neon.h, loops and memory rules in dwconv-simd.h). */
#include "dwconv-neon.h"

QK_DWCONV2D_CHW_SIMD(f32_dwconv2d_chw_ukernel_3x3s1p1__neon, 3, 1, 1)
