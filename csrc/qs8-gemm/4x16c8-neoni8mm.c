/* qs8 GEMM/IGEMM, aarch64 i8mm (smmla), 4 rows x 16 columns, kr = 8.
 * Scheme, tails and register budget: include/qkernels/gemm-4x16c8-neoni8mm.inc.
 *
 * Why this tile: smmla does 32 MACs on a 2-row x 2-column block, so 4 rows x
 * 16 columns is 2 x 8 of them: 16 accumulators; per 16 k, 4 row loads + 4
 * zips make the two row-pair operands of both 8-k halves and 4 ld1 {4 regs}
 * bring 256 weight bytes for 32 smmla: 55 instructions per 1024 MACs (0.054)
 * as compiled.  8x8c8 needs 8 loads + 8 zips per 32 smmla (52 against 46
 * before address arithmetic); 6x16 (24 accumulators) leaves no room for the
 * row-pair operands and a 4-register weight load.
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   max  0.194 0.109 0.101 0.056 0.055 0.062 0.128
 *   (XNNPACK 4x16c8 neoni8mm: 0.178 0.118 0.108 0.070 0.072 0.078 0.145) */
#if defined(__aarch64__)
#define QK_NAME qs8_gemm_ukernel_4x16c8__neoni8mm
#define QK_SIGNED 1
#include "qkernels/gemm-4x16c8-neoni8mm.inc"
#endif
