/* qs8 GEMM/IGEMM, aarch64 i8mm (smmla), 4 rows x 16 columns, kr = 8.
 * Scheme, tails and register budget: include/qkernels/gemm-4x16c8-neoni8mm.inc.
 *
 * Why this tile: TODO numbers. */
#if defined(__aarch64__)
#define QK_NAME qs8_gemm_ukernel_4x16c8__neoni8mm
#define QK_SIGNED 1
#include "qkernels/gemm-4x16c8-neoni8mm.inc"
#endif
