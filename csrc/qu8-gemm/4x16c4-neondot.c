/* qu8 GEMM/IGEMM, aarch64 dotprod (udot by element), 4 rows x 16 columns, kr = 4.
 * Scheme, tails and register budget: include/qkernels/gemm-4x16c4-neondot.inc:
 * udot on raw uint8, minus w_zp * (row sums from udot against ones).
 *
 * Why this tile: see csrc/qs8-gemm/4x16c4-neondot.c; the row sums cost one
 * udot per row and 16 k (4 more per 64).  TODO numbers. */
#if defined(__aarch64__)
#define QK_NAME qu8_gemm_ukernel_4x16c4__neondot
#define QK_SIGNED 0
#include "qkernels/gemm-4x16c4-neondot.inc"
#endif
