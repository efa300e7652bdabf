/* Depthwise 3x3 convolution, stride 1, padding 1, one CHW channel plane, AVX2 level:
 * 8 output pixels per ymm, no FMA (approach and rounding in dwconv-avx2.h,
 * loops and memory rules in dwconv-simd.h). */
#include "dwconv-avx2.h"

QK_DWCONV2D_CHW_SIMD(f32_dwconv2d_chw_ukernel_3x3s1p1__avx2, 3, 1, 1)
