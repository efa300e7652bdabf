/* qs8 GEMM/IGEMM, NEON (armv7 and aarch64), 4 rows x 8 columns, kr = 1.
 * Scheme, tails and the register budget: include/qkernels/gemm-4x8-neon.h.
 *
 * Why this tile: it is the widest lane-MLAL tile armv7's 16 q registers hold
 * (8 accumulators + 4 activation rows + 2 weight rows), the QNNPACK shape,
 * and it has the cheapest epilogue of the NEON kernels (no reduction, 32
 * outputs per tile).  Registered after the c16 kernels (4x4c16 on aarch64,
 * 2x4c16 on armv7), which spend 0.25 instead of 0.34 per MAC in the K loop;
 * it stays as the portable lane-MLAL variant and wins on K = 24 layers.
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   aarch64 (any cpu)  0.498 0.372 0.394 0.343 0.361 0.369 1.354
 *   armv7 cortex-a7    0.607 0.417 0.454 0.377 0.396 0.408 1.484 (GCC 12)
 *                      0.545 0.383 0.414 0.349 0.366 0.376 1.373 (clang 14)
 *   (armv7 K step in asm pieces, gemm-4x8-neon.h; from the intrinsics GCC
 *    gave 0.674 0.445 0.492 0.399 0.418 0.432 1.565, clang 0.852 0.682
 *    0.715 0.646 0.681 0.692 2.562)
 *   (QNNPACK's armv7 asm 4x8: 0.517 0.380 0.413 0.358 0.377 0.386 1.419) */
#include "qkernels/gemm-4x8-neon.h"

#define WIDEN_A(x) vmovl_s8(vreinterpret_s8_u8(x))
#define WIDEN_W(x, vwzp) vmovl_s8(vreinterpret_s8_u8(x))

QK_DEFINE_GEMM_4X8_NEON(qs8_gemm_ukernel_4x8__neon, 1, WIDEN_A, WIDEN_W, qk_neon_pack_s8)
