/* qs8 GEMM/IGEMM, AVX-512 VNNI (vpdpbusd), 8 rows x 32 columns, kr = 4.
 * Scheme (weights stored w + 128, row-sum correction -128 * sum a), tile
 * choice and tails: include/qkernels/gemm-8x32c4-avx512vnni.inc. */
#define QK_NAME qs8_gemm_ukernel_8x32c4__avx512vnni
#define QK_SIGNED 1
#include "qkernels/gemm-8x32c4-avx512vnni.inc"
