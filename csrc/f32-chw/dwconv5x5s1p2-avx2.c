/* Depthwise 5x5 convolution, stride 1, padding 2, one CHW channel plane, AVX2 level:
 * 8 output pixels per ymm, no FMA (approach and rounding in dwconv-avx2.h,
 * loops and memory rules in dwconv-simd.h). */
#include "dwconv-avx2.h"

QK_DWCONV2D_CHW_SIMD(f32_dwconv2d_chw_ukernel_5x5s1p2__avx2, 5, 1, 2)
