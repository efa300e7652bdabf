/* qu8 GEMM/IGEMM, aarch64 NEON, 4 rows x 4 columns, kr = 16.
 * Scheme, exactness and tails: include/qkernels/gemm-c16-neon.inc.
 *
 * Why this tile: TODO numbers. */
#if defined(__aarch64__)
#define QK_NAME qu8_gemm_ukernel_4x4c16__neon
#define QK_MR 4
#define QK_SIGNED 0
#include "qkernels/gemm-c16-neon.inc"
#endif
