/* qs8 GEMM/IGEMM scalar twin: int8 activations, int8 weights (w_zp = 0).
 * Tile and rationale: include/qkernels/gemm-scalar.h. */
#include "qkernels/gemm-scalar.h"

QK_DEFINE_GEMM_SCALAR(qs8_gemm_ukernel_2x4__scalar, int8_t, int8_t)
