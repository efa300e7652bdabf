/* qu8 GEMM/IGEMM, NEON (armv7 and aarch64), 4 rows x 8 columns, kr = 1.
 * Scheme, tails and the register budget: include/qkernels/gemm-4x8-neon.h.
 * uint8 activations are zero-extended to int16; weights become w - w_zp in
 * one usubl, so the kernel adds a * (w - w_zp) exactly (|.| <= 65025).
 *
 * Why this tile: see csrc/qs8-gemm/4x8-neon.c (same body; usubl replaces
 * sxtl, so the same count).
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   aarch64 (any cpu)  0.513 0.388 0.410 0.359 0.377 0.385 1.416
 *   armv7 cortex-a7    0.607 0.417 0.454 0.377 0.396 0.408 1.484 (GCC 12)
 *                      0.543 0.383 0.414 0.349 0.366 0.376 1.373 (clang 14)
 *   (intrinsics: GCC 0.684 0.466 0.510 0.422 0.442 0.456 1.658) */
#include "qkernels/gemm-4x8-neon.h"

#define WIDEN_A(x) vreinterpretq_s16_u16(vmovl_u8(x))
#define WIDEN_W(x, vwzp) vreinterpretq_s16_u16(vsubl_u8(x, vwzp))

QK_DEFINE_GEMM_4X8_NEON(qu8_gemm_ukernel_4x8__neon, 0, WIDEN_A, WIDEN_W, qk_neon_pack_u8)
