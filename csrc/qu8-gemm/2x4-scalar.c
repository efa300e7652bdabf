/* qu8 GEMM/IGEMM scalar twin: uint8 activations and weights, weight zero
 * point subtracted here, activation zero point folded into the packed bias.
 * Tile and rationale: include/qkernels/gemm-scalar.h. */
#include "qkernels/gemm-scalar.h"

QK_DEFINE_GEMM_SCALAR(qu8_gemm_ukernel_2x4__scalar, uint8_t, uint8_t)
