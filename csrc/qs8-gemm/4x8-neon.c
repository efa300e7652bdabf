/* qs8 GEMM/IGEMM, NEON (armv7 and aarch64), 4 rows x 8 columns, kr = 1.
 * Scheme, tails and the register budget: include/qkernels/gemm-4x8-neon.h.
 *
 * Why this tile: it is the widest lane-MLAL tile armv7's 16 q registers hold
 * (8 accumulators + 4 activation rows + 2 weight rows), the QNNPACK armv7
 * shape, and the portable NEON baseline of aarch64 as well.  Measured with
 * bench/gemm_icount.py (qemu icount, instructions per MAC, MobileNet layers
 * 196x576x96 / 49x960x320 / 49x320x1280): armv7 cortex-a7 0.41 / 0.43 / 0.44
 * (QNNPACK's armv7 asm: 0.36 / 0.38 / 0.39), aarch64 0.34 / 0.36 / 0.37. */
#include "qkernels/gemm-4x8-neon.h"

#define WIDEN_A(x) vmovl_s8(vreinterpret_s8_u8(x))
#define WIDEN_W(x, vwzp) vmovl_s8(vreinterpret_s8_u8(x))

QK_DEFINE_GEMM_4X8_NEON(qs8_gemm_ukernel_4x8__neon, 1, WIDEN_A, WIDEN_W, qk_neon_pack_s8)
