/* qs8 GEMM/IGEMM, aarch64 dotprod (sdot by element), 4 rows x 16 columns, kr = 4.
 * Scheme, tails and register budget: include/qkernels/gemm-4x16c4-neondot.inc.
 *
 * Why this tile: 16 accumulators (4 rows x 16 columns) is the largest block
 * whose activations (4 q) and one weight k-block (4 q) fit beside it without
 * spills; each 16-byte activation load feeds 16 sdot and each 64-byte weight
 * ld1 16 sdot: the K loop is 79 instructions per 1024 MACs (0.077).  8x8c4
 * does the same 64 sdot per 16 k with 8 activation loads and 2 weight ld1
 * (76 against 74 before address arithmetic) but rounds M = 49 up to 56 rows
 * instead of 52; 6x16 (24 accumulators + 6 + 4) spills.
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   cortex-a76  0.196 0.114 0.119 0.082 0.081 0.086 0.110
 *   (XNNPACK 4x16c4 neondot asm: 0.164 0.124 0.108 0.081 0.084 0.088 0.160) */
#if defined(__aarch64__)
#define QK_NAME qs8_gemm_ukernel_4x16c4__neondot
#define QK_SIGNED 1
#include "qkernels/gemm-4x16c4-neondot.inc"
#endif
