/* qs8 GEMM/IGEMM, armv7 NEON, 2 rows x 4 columns, kr = 16.
 * Scheme, exactness and tails: include/qkernels/gemm-c16-neon.inc.
 * Weights in format QK_GEMM_PACK_I8_HI_NOT (gemm.h): high halves stored
 * complemented, so the pair products need no mvn.
 *
 * Why this tile: the 4x4c16 scheme at the size armv7's 16 q registers allow
 * (8 accumulators, 2 activation rows, two weight registers loaded by one
 * 32-byte vld1, 1 product): the K loop is 30 instructions per 128 MACs
 * (0.234: 24 multiply/accumulate, 2 + 2 loads, 2 loop) against ~0.39 for the
 * 4x8 lane-MLAL kernel as GCC compiles it.  Its 8-output tile makes the
 * per-tile work (reduction, requantization, row pointers) heavy on small-K
 * layers (QNNPACK's 4x8 asm amortizes it over 32 outputs).
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   cortex-a7  0.669 0.368 0.435 0.262 0.251 0.276 0.281 (GCC 12)
 *              0.676 0.355 0.407 0.259 0.250 0.270 0.279 (clang 14: asm
 *              half steps, gemm-c16-neon.inc; its intrinsics code spilled,
 *              0.788 0.515 0.570 0.416 0.404 0.425 0.312)
 *   (format I8 with a mvn per weight register, 16-byte weight loads, no
 *    small-K path: 0.988 0.441 0.526 0.314 0.300 0.331 0.374;
 *    QNNPACK's armv7 asm 4x8: 0.517 0.380 0.413 0.358 0.377 0.386 1.419;
 *    the 4x8 lane-MLAL kernel (GCC): 0.607 0.417 0.454 0.377 0.396 0.408 1.484) */
#if defined(__arm__) && !defined(__aarch64__)
#define QK_NAME qs8_gemm_ukernel_2x4c16__neon
#define QK_MR 2
#define QK_SIGNED 1
#include "qkernels/gemm-c16-neon.inc"
#endif
