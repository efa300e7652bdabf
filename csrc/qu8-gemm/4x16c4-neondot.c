/* qu8 GEMM/IGEMM, aarch64 dotprod (udot by element), 4 rows x 16 columns, kr = 4.
 * Scheme, tails and register budget: include/qkernels/gemm-4x16c4-neondot.inc:
 * udot on raw uint8, minus w_zp * row sums computed once per call.
 *
 * Why this tile: see csrc/qs8-gemm/4x16c4-neondot.c: the loop is the same;
 * the row sums cost a pre-pass over the tile's rows per call.
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   cortex-a76  0.210 0.135 0.122 0.086 0.082 0.087 0.110 */
#if defined(__aarch64__)
#define QK_NAME qu8_gemm_ukernel_4x16c4__neondot
#define QK_SIGNED 0
#include "qkernels/gemm-4x16c4-neondot.inc"
#endif
