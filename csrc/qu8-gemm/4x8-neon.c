/* qu8 GEMM/IGEMM, NEON (armv7 and aarch64), 4 rows x 8 columns, kr = 1.
 * Scheme, tails and the register budget: include/qkernels/gemm-4x8-neon.h.
 * uint8 activations are zero-extended to int16; weights become w - w_zp in
 * one usubl, so the kernel adds a * (w - w_zp) exactly (|.| <= 65025).
 *
 * Why this tile: see csrc/qs8-gemm/4x8-neon.c (same body). */
#include "qkernels/gemm-4x8-neon.h"

#define WIDEN_A(x) vreinterpretq_s16_u16(vmovl_u8(x))
#define WIDEN_W(x, vwzp) vreinterpretq_s16_u16(vsubl_u8(x, vwzp))

QK_DEFINE_GEMM_4X8_NEON(qu8_gemm_ukernel_4x8__neon, 0, WIDEN_A, WIDEN_W, qk_neon_pack_u8)
