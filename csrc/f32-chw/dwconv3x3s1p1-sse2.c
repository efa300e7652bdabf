/* Depthwise 3x3 convolution, stride 1, padding 1, one CHW channel plane, SSE2:
 * 4 output pixels per vector (approach and memory rules in dwconv-sse2.h). */
#include "dwconv-sse2.h"

QK_DWCONV2D_CHW_SSE2(f32_dwconv2d_chw_ukernel_3x3s1p1__sse2, 3, 1, 1)
