/* Depthwise 5x5 convolution, stride 2, padding 2, one CHW channel plane, SSE2:
 * 4 output pixels per vector (approach in
 * dwconv-sse2.h, loops and memory rules in dwconv-simd.h). */
#include "dwconv-sse2.h"

QK_DWCONV2D_CHW_SIMD(f32_dwconv2d_chw_ukernel_5x5s2p2__sse2, 5, 2, 2)
