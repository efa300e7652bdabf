/* Depthwise 5x5 convolution, stride 1, padding 2, one CHW channel plane, SSE2:
 * 4 output pixels per vector (approach and memory rules in dwconv-sse2.h). */
#include "dwconv-sse2.h"

QK_DWCONV2D_CHW_SSE2(f32_dwconv2d_chw_ukernel_5x5s1p2__sse2, 5, 1, 2)
