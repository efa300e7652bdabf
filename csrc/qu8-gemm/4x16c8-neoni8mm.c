/* qu8 GEMM/IGEMM, aarch64 i8mm (ummla + row sums), 4 rows x 16 columns, kr = 8.
 * Scheme, tails and register budget: include/qkernels/gemm-4x16c8-neoni8mm.inc.
 *
 * Why this tile: see csrc/qs8-gemm/4x16c8-neoni8mm.c; ummla on raw uint8 and
 * w_zp * row sums computed once per call keep the loop identical to qs8's.
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   max  0.208 0.130 0.105 0.060 0.056 0.062 0.129 */
#if defined(__aarch64__)
#define QK_NAME qu8_gemm_ukernel_4x16c8__neoni8mm
#define QK_SIGNED 0
#include "qkernels/gemm-4x16c8-neoni8mm.inc"
#endif
