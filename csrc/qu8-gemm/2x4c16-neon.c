/* qu8 GEMM/IGEMM, armv7 NEON, 2 rows x 4 columns, kr = 16.
 * Scheme, exactness and tails: include/qkernels/gemm-c16-neon.inc.
 *
 * Why this tile: see csrc/qs8-gemm/2x4c16-neon.c and csrc/qu8-gemm/4x4c16-neon.c
 * (signed pair products on a ^ 0x80 and w - 128, format
 * QK_GEMM_PACK_U8_FLIP_HI_NOT).
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   cortex-a7  0.709 0.389 0.450 0.278 0.267 0.291 0.297 (GCC 12)
 *              0.685 0.376 0.426 0.275 0.265 0.286 0.294 (clang 14)
 *   (raw uint8 products, format I8, 16-byte weight loads, no small-K path:
 *                1.005 0.472 0.555 0.345 0.331 0.362 0.375;
 *    the 4x8 lane-MLAL kernel (GCC): 0.607 0.417 0.454 0.377 0.396 0.408 1.484) */
#if defined(__arm__) && !defined(__aarch64__)
#define QK_NAME qu8_gemm_ukernel_2x4c16__neon
#define QK_MR 2
#define QK_SIGNED 0
#include "qkernels/gemm-c16-neon.inc"
#endif
