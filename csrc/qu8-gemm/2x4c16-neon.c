/* qu8 GEMM/IGEMM, armv7 NEON, 2 rows x 4 columns, kr = 16.
 * Scheme, exactness and tails: include/qkernels/gemm-c16-neon.inc.
 *
 * Why this tile: see csrc/qs8-gemm/2x4c16-neon.c and csrc/qu8-gemm/4x4c16-neon.c
 * (umull/uadalp on raw uint8, w_zp * row sum once per call).
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   cortex-a7  0.708 0.436 0.491 0.324 0.312 0.336 0.344
 *   (before the small-K path, the started accumulators and the 32-byte
 *    weight loads: 1.005 0.472 0.555 0.345 0.331 0.362 0.375;
 *    the 4x8 lane-MLAL kernel: 0.689 0.471 0.511 0.422 0.442 0.456 1.658) */
#if defined(__arm__) && !defined(__aarch64__)
#define QK_NAME qu8_gemm_ukernel_2x4c16__neon
#define QK_MR 2
#define QK_SIGNED 0
#include "qkernels/gemm-c16-neon.inc"
#endif
