/* qs8 GEMM/IGEMM, armv7 NEON, 2 rows x 4 columns, kr = 16.
 * Scheme, exactness and tails: include/qkernels/gemm-c16-neon.inc.
 *
 * Why this tile: the 4x4c16 scheme at the size armv7's 16 q registers allow
 * (8 accumulators, 2 activation rows, one weight register and its complement,
 * 2 products): the K loop is 36 instructions per 128 MACs (0.281) against
 * ~0.39 for the 4x8 lane-MLAL kernel as GCC compiles it.  Its 8-output tile
 * makes the per-tile work (reduction, requantization, row pointers) heavy on
 * small-K layers; over the 7 layers below it still executes ~8% fewer
 * instructions than 4x8, hence first on armv7.
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   cortex-a7  0.988 0.441 0.526 0.314 0.300 0.331 0.374
 *   (QNNPACK's armv7 asm 4x8: 0.517 0.380 0.413 0.358 0.377 0.386 1.419;
 *    the 4x8 lane-MLAL kernel: 0.678 0.449 0.492 0.399 0.418 0.432 1.566) */
#if defined(__arm__) && !defined(__aarch64__)
#define QK_NAME qs8_gemm_ukernel_2x4c16__neon
#define QK_MR 2
#define QK_SIGNED 1
#include "qkernels/gemm-c16-neon.inc"
#endif
