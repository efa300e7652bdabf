/* Depthwise 3x3 convolution, stride 1, padding 1, one CHW channel plane, SSE2:
 * 4 output pixels per vector (approach in
 * dwconv-sse2.h, loops and memory rules in dwconv-simd.h). */
#include "dwconv-sse2.h"

QK_DWCONV2D_CHW_SIMD(f32_dwconv2d_chw_ukernel_3x3s1p1__sse2, 3, 1, 1)
