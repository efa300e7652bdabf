/* Depthwise 5x5 convolution, stride 1, padding 2, one CHW channel plane:
 * the scalar reference twin (see dwconv-scalar.h for the exact arithmetic). */
#include "dwconv-scalar.h"

QK_DWCONV2D_CHW_SCALAR(f32_dwconv2d_chw_ukernel_5x5s1p2__scalar, 5, 1, 2)
