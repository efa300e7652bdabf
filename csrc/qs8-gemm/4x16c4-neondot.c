/* qs8 GEMM/IGEMM, aarch64 dotprod (sdot by element), 4 rows x 16 columns, kr = 4.
 * Scheme, tails and register budget: include/qkernels/gemm-4x16c4-neondot.inc.
 *
 * Why this tile: 16 accumulators (4 rows x 16 columns) is the largest block
 * whose activations (4 q) and one weight k-block (4 q) fit beside it; each
 * 16-byte activation load feeds 16 sdot and each 64-byte weight load 16 sdot,
 * so the loop is ~76 instructions per 1024 MACs.  TODO numbers. */
#if defined(__aarch64__)
#define QK_NAME qs8_gemm_ukernel_4x16c4__neondot
#define QK_SIGNED 1
#include "qkernels/gemm-4x16c4-neondot.inc"
#endif
