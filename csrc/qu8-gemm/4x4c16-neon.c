/* qu8 GEMM/IGEMM, aarch64 NEON (no dotprod), 4 rows x 4 columns, kr = 16.
 * Scheme, exactness and tails: include/qkernels/gemm-c16-neon.inc.
 *
 * Why this tile: uint8 x uint8 products (up to 65025) fit uint16 but a pair
 * of them does not, so plain NEON cannot go below 4 MACs per instruction
 * exactly: umull/umull2 + two uadalp per 16 MACs on the raw values, w_zp *
 * row sum once per call.  That is the lane-MLAL rate without its widening
 * and weight-zero-point instructions: the K loop is 74 per 256 MACs (0.289)
 * against 0.33 for 4x8 lane-MLAL.  Same 4x4 register budget as qs8.
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   cortex-a72  0.491 0.361 0.380 0.297 0.290 0.302 0.353
 *   (before the small-K path and the started accumulators:
 *                0.630 0.366 0.404 0.299 0.292 0.307 0.356;
 *    the 4x8 lane-MLAL kernel: 0.513 0.388 0.410 0.359 0.377 0.385 1.416) */
#if defined(__aarch64__)
#define QK_NAME qu8_gemm_ukernel_4x4c16__neon
#define QK_MR 4
#define QK_SIGNED 0
#include "qkernels/gemm-c16-neon.inc"
#endif
