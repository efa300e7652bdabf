/* qs8 GEMM/IGEMM, aarch64 NEON (no dotprod), 4 rows x 4 columns, kr = 16.
 * Scheme, exactness and tails: include/qkernels/gemm-c16-neon.inc.
 * Weights in format QK_GEMM_PACK_I8_HI_NOT (gemm.h): high halves stored
 * complemented, so the pair products need no mvn.
 *
 * Why this tile: exact pair products (smull + smlsl2 against the complemented
 * weight, one sadalp) cost 3 instructions per 16 MACs; 4x4 keeps 16
 * accumulators, 4 activation rows, a 4-register ld1 of weights and the
 * product in 25 of the 32 q registers: the K loop is 56 instructions per 256
 * MACs (0.219: 48 multiply/accumulate, 5 loads, 3 loop).  4x8 or 8x4 would
 * need 32 accumulators (all registers); 5x4 would save 1.5% of the loop and
 * fits M = 3136/196/49 worse.  Each accumulator holds one output (4 partial
 * sums), so the epilogue reduces (12 addp per 16 outputs): small-K layers
 * pay for it; K <= 32 (ks = 1) runs a path that keeps the tile's activations
 * and row constants in registers for the whole call.
 * Measured with bench/gemm_icount.py (qemu icount, guest instructions per
 * MAC over whole layers through qk_run_gemm, 1 thread, fp32 mode), MobileNet
 * M x K x N = 3136x24x144 / 3136x144x24 / 196x64x384 / 196x576x96 /
 * 49x960x320 / 49x320x1280 / 1x1280x1000:
 *   cortex-a72  0.423 0.297 0.314 0.234 0.228 0.239 0.260 (GCC 12)
 *               0.439 0.293 0.313 0.231 0.225 0.236 0.261 (clang 14)
 *   (with format I8 and a mvn per weight register, no small-K path:
 *                0.587 0.319 0.353 0.252 0.245 0.260 0.324;
 *    XNNPACK 2x8c8 neon-mlal asm, whose int16 pair sums overflow when -128
 *    meets -128 in both products:
 *                0.430 0.271 0.302 0.246 0.248 0.256 0.285;
 *    the 4x8 lane-MLAL kernel: 0.498 0.372 0.394 0.343 0.361 0.369 1.354) */
#if defined(__aarch64__)
#define QK_NAME qs8_gemm_ukernel_4x4c16__neon
#define QK_MR 4
#define QK_SIGNED 1
#include "qkernels/gemm-c16-neon.inc"
#endif
