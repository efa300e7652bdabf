/* qu8 GEMM/IGEMM, aarch64 NEON (no dotprod), 4 rows x 4 columns, kr = 16.
 * Scheme, exactness and tails: include/qkernels/gemm-c16-neon.inc.
 *
 * Why: uint8 x uint8 products (up to 65025) fit uint16 but a pair of them
 * does not, so raw-uint8 products cost 4 instructions per 16 MACs (umull,
 * umull2, 2 uadalp).  Shifted to int8 (a ^ 0x80 per activation register,
 * weights w - 128 at pack time: format QK_GEMM_PACK_U8_FLIP_HI_NOT) they run
 * the exact qs8 pair products, 3 per 16 MACs: the K loop is 60 instructions
 * per 256 MACs (0.234) instead of 74 (0.289).  Same 4x4 register budget as
 * qs8 plus the 0x80 constant.
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   cortex-a72  0.428 0.319 0.332 0.250 0.244 0.255 0.276 (GCC 12)
 *               0.419 0.309 0.329 0.246 0.240 0.252 0.276 (clang 14)
 *   (raw uint8 products, format I8, no small-K path:
 *                0.630 0.366 0.404 0.299 0.292 0.307 0.356;
 *    the 4x8 lane-MLAL kernel: 0.513 0.388 0.410 0.359 0.377 0.385 1.416) */
#if defined(__aarch64__)
#define QK_NAME qu8_gemm_ukernel_4x4c16__neon
#define QK_MR 4
#define QK_SIGNED 0
#include "qkernels/gemm-c16-neon.inc"
#endif
