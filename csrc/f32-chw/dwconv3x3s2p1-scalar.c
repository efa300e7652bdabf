/* Depthwise 3x3 convolution, stride 2, padding 1, one CHW channel plane:
 * the scalar reference twin (see dwconv-scalar.h for the exact arithmetic). */
#include "dwconv-scalar.h"

QK_DWCONV2D_CHW_SCALAR(f32_dwconv2d_chw_ukernel_3x3s2p1__scalar, 3, 2, 1)
