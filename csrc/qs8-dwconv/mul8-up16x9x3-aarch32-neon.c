/* qs8 depthwise, int8-weight layout, 16 channels x 9 taps, armv7 NEON:
 * three output pixels per pass on compact rows of stride 1 (step == 3, a 3x5
 * input window) or stride 2 (step == 6, a 3x7 window), in inline assembly;
 * one pixel at a time otherwise (dwconv-mul8-neon.h).  The aarch64
 * twin with the same name is mul8-up16x9x3-neon.c; this file is empty there.
 *
 * Registers (32 d = 16 q).  A 16-channel block is done as two 8-channel
 * halves; per half: 9 weight d registers, 3 pixels x 8 int32 = 6 q
 * accumulators (q8-q13), 3 input d registers (one window column), the
 * product q14 and the pending (0,2)+(1,2) pair q15 -- the pairing and the
 * column order are those of qk_dw8_block / the aarch64 kernel (kx = 2, 1, 0
 * within a column, so the pending pair is consumed before it is refilled).
 * The weights come with ONE vldm of taps 0-7 for both halves (d0-d15: tap t
 * low half in d(2t), high half in d(2t+1)) plus tap 8's half into the free
 * register of q0: the low half computes with the even registers and takes
 * its inputs in odd ones, the high half the other way round.  2 loads per
 * half instead of 9.
 *
 * Addresses.  armv7 NEON loads have no base+offset form, and 15 row
 * pointers + 3 outputs do not fit the 14 core registers.  So every access of
 * a half goes through ONE cursor register post-incremented by a register
 * (vld1 {d}, [cur], rK): the pass's 18 addresses (15 input rows column by
 * column, then the 3 outputs; 21 + 3 at stride 2) form a chain whose 18
 * (24) differences -- the last one leading back to the first address + 8,
 * i.e. the next half -- are computed once per pass and fetched 6 at a time
 * with ldm into r0-r5.  Any pointers work (zero row, padding in any
 * position), and the channel offset costs nothing.  Per half: 3 ldm + 1 rewind for 18 accesses (4 for 24).
 * A pass geometry is thus only its column order, its ldm placement and its
 * record size: the stride-2 pass (S2X3) shares the block code, the
 * requantization and the loops with the stride-1 one.
 *
 * Requantization (constants reloaded per half with one vldm, the weight
 * registers being free by then):
 *   fp32: the armv7 path of qk_dw8_block_v7 -- scale, clamp in float to
 *   [qmin - zp, qmax - zp], add 1.5*2^23: the low byte of the float's bits is
 *   then rint(x) -- with the three narrows replaced by one vtbl picking byte
 *   0 of each of the 8 lanes from the pixel's two accumulators (q pairs are
 *   4 consecutive d registers), then a byte add of the zero point (exact:
 *   the sum lies in [qmin, qmax]).  11 instructions per 8 channels and pixel.
 *   gemmlowp: qk_dw_neon_gemmlowp4 + saturating narrows, zero point, clamp,
 *   as qk_dw_neon_requant8.
 *
 * Counts (fp32) per 16-channel block of 3 pixels (432 MACs): 54 multiplies,
 * 60 widening adds, 30 input loads, 6 bias, 4 weight and 2 scale loads,
 * 70 requantization + 6 stores, 8 ldm/vldm, 11 pointer/loop: 249 (0.576 per
 * MAC); per pass ~50 more to build its record.  QEMU cortex-a7, 56x56x144
 * s1 fp32 (bench/dwconv_icount.sh): 0.601 instructions/MAC, the one-pixel
 * kernel 0.865.  The last 1-2 pixels of a row run the same chain with 2- or
 * 1-pixel halves.
 *
 * Stride 2 (S2X3): 7 input loads per pixel instead of 9, weights, bias and
 * requantization data loaded once per 3 pixels; per 16-channel block ~266
 * instructions (0.62 per MAC).  QEMU cortex-a7 fp32 full range, 56x56x144
 * s2: 0.639 instructions/MAC (one pixel at a time before: 0.891);
 * 112x112x96 0.647 (0.930), 28x28x192 0.633 (0.864), 14x14x576 0.625
 * (0.819); gemmlowp 56x56x144 0.718 (0.987).  4 pixels per pass would need
 * 8 accumulator q registers next to the 2 product / pending ones: no room. */
#if defined(__arm__) && !defined(__aarch64__)
#if defined(__GNUC__) && !defined(__clang__)
/* The asm takes 11 core registers (r0-r5 + 5 operands); GCC cannot find them
 * at -O0 or with a frame pointer (-fno-omit-frame-pointer: distributions
 * that build Python with frame pointers pass it to every extension), and
 * fails with "impossible constraints".  These functions are always optimized
 * and frame-pointer free; clang allocates them under any flags. */
#pragma GCC optimize("O2", "omit-frame-pointer")
#endif
#include "qkernels/dwconv-mul8-neon.h"

/* Register names of the two halves: weights K0-K8 (tap t = kx*3 + y) and the
 * window column's rows X0-X2. */
#define DW7_LO_K0 "d0"
#define DW7_LO_K1 "d2"
#define DW7_LO_K2 "d4"
#define DW7_LO_K3 "d6"
#define DW7_LO_K4 "d8"
#define DW7_LO_K5 "d10"
#define DW7_LO_K6 "d12"
#define DW7_LO_K7 "d14"
#define DW7_LO_K8 "d1"
#define DW7_LO_X0 "d3"
#define DW7_LO_X1 "d5"
#define DW7_LO_X2 "d7"
#define DW7_HI_K0 "d1"
#define DW7_HI_K1 "d3"
#define DW7_HI_K2 "d5"
#define DW7_HI_K3 "d7"
#define DW7_HI_K4 "d9"
#define DW7_HI_K5 "d11"
#define DW7_HI_K6 "d13"
#define DW7_HI_K7 "d15"
#define DW7_HI_K8 "d0"
#define DW7_HI_X0 "d2"
#define DW7_HI_X1 "d4"
#define DW7_HI_X2 "d6"

/* accumulators of pixel p: two q registers (channels 0-3, 4-7) */
#define DW7_P0 "q8", "q9"
#define DW7_P1 "q10", "q11"
#define DW7_P2 "q12", "q13"
#define DW7_CALL(m, args) m args

/* acc += widen(q14) / widen(q15) */
#define DW7_WIDEN14(a, b) "vaddw.s16 " a ", " a ", d28\n" "vaddw.s16 " b ", " b ", d29\n"
#define DW7_WIDEN15(a, b) "vaddw.s16 " a ", " a ", d30\n" "vaddw.s16 " b ", " b ", d31\n"
/* the current column as tap column kx of a pixel (see the top) */
#define DW7_KX0(H, a, b)                                                                   \
  "vmull.s8 q14, " DW7_##H##_X0 ", " DW7_##H##_K0 "\n"                                     \
  "vmlal.s8 q14, " DW7_##H##_X1 ", " DW7_##H##_K1 "\n" DW7_WIDEN14(a, b)                   \
  "vmull.s8 q15, " DW7_##H##_X2 ", " DW7_##H##_K2 "\n"
#define DW7_KX1(H, a, b)                                                                   \
  "vmull.s8 q14, " DW7_##H##_X0 ", " DW7_##H##_K3 "\n"                                     \
  "vmlal.s8 q14, " DW7_##H##_X1 ", " DW7_##H##_K4 "\n" DW7_WIDEN14(a, b)                   \
  "vmlal.s8 q15, " DW7_##H##_X2 ", " DW7_##H##_K5 "\n" DW7_WIDEN15(a, b)
#define DW7_KX2(H, a, b)                                                                   \
  "vmull.s8 q14, " DW7_##H##_X0 ", " DW7_##H##_K6 "\n"                                     \
  "vmlal.s8 q14, " DW7_##H##_X1 ", " DW7_##H##_K7 "\n" DW7_WIDEN14(a, b)                   \
  "vmull.s8 q14, " DW7_##H##_X2 ", " DW7_##H##_K8 "\n" DW7_WIDEN14(a, b)
/* rows y = 0, 1, 2 of the next window column, chained by r(i), r(i+1), r(i+2) */
#define DW7_COLUMN(H, i, j, k)                                                             \
  "vld1.8 {" DW7_##H##_X0 "}, [%[cur]], r" #i "\n"                                         \
  "vld1.8 {" DW7_##H##_X1 "}, [%[cur]], r" #j "\n"                                         \
  "vld1.8 {" DW7_##H##_X2 "}, [%[cur]], r" #k "\n"

/* Packed block (dwconv.h), fp32: bias[16] at +0, taps at +64 (tap t at
 * +64 + 16t, channels 0-7 then 8-15), scale[16] at +208, 272 bytes;
 * gemmlowp: multiplier[16] at +208, shift[16] at +272, 464 bytes.  %[w]
 * walks it: each half starts at its bias (+0 / +32) and the macros below say
 * where it is left. */
#define DW7_W_LO_BIAS_TO_TAPS "add %[w], %[w], #32\n"                 /* +32 -> +64 */
#define DW7_W_HI_BIAS_TO_TAPS ""                                       /* already +64 */
#define DW7_TAP8_LO "vld1.8 {d1}, [%[w]]!\n"                           /* +192 -> +200 */
#define DW7_TAP8_HI "add %[w], %[w], #8\n" "vld1.8 {d0}, [%[w]]!\n"   /* +192 -> +208 */

/* One 8-channel half of a block in pass geometry G (below).  Entry: %[w] at
 * the half's bias, %[rt] at the pass's chain differences (the row loads
 * column by column, then the stores), %[cur] at the half's first row.
 * Exit: %[rt] back at the differences, %[cur] at the next half's first row,
 * %[w] as RQ leaves it. */
#define DW7_HALF_TAPS(H)                                                                  \
  DW7_W_##H##_BIAS_TO_TAPS                                                                 \
  "vldmia %[w]!, {d0-d15}\n"                                                               \
  DW7_TAP8_##H
#define DW7_HALF(G, H, RQ)                                                                \
  "ldmia %[rt]!, {r0-r5}\n"                                                                \
  DW7_BIAS_##G /* bias into the pixels' accumulators */                                    \
  DW7_HALF_TAPS(H)                                                                         \
  DW7_COLUMNS_##G(H)                                                                       \
  "sub %[rt], %[rt], #" DW7_DIFF_BYTES_##G "\n"                                            \
  RQ(H, G)
#define DW7_BIAS3                                                                         \
  "vld1.32 {d16-d19}, [%[w]]\n" "vld1.32 {d20-d23}, [%[w]]\n" "vld1.32 {d24-d27}, [%[w]]!\n"
#define DW7_BIAS2 "vld1.32 {d16-d19}, [%[w]]\n" "vld1.32 {d20-d23}, [%[w]]!\n"
#define DW7_BIAS1 "vld1.32 {d16-d19}, [%[w]]!\n"

/* Pass geometries SxP: P pixels of stride S over a 3 x (S (P - 1) + 3)
 * window; window column j is tap column j - S p of pixel p (kx = 2, 1, 0
 * within a column).  The chain has 3 (S (P - 1) + 3) + P differences, read
 * 6 at a time (r0-r5; a column takes r0-r2 or r3-r5), and the stores use
 * the registers the last ldm leaves: DW7_ST_G.
 * S1X3 (3x5, 18 differences): the stride-1 pass. */
#define DW7_BIAS_S1X3 DW7_BIAS3
#define DW7_COLUMNS_S1X3(H)                                                               \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX0, (H, DW7_P0))                                    \
  DW7_COLUMN(H, 3, 4, 5) DW7_CALL(DW7_KX1, (H, DW7_P0)) DW7_CALL(DW7_KX0, (H, DW7_P1))     \
  "ldmia %[rt]!, {r0-r5}\n"                                                                \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX2, (H, DW7_P0)) DW7_CALL(DW7_KX1, (H, DW7_P1))     \
  DW7_CALL(DW7_KX0, (H, DW7_P2))                                                           \
  DW7_COLUMN(H, 3, 4, 5) DW7_CALL(DW7_KX2, (H, DW7_P1)) DW7_CALL(DW7_KX1, (H, DW7_P2))     \
  "ldmia %[rt]!, {r0-r5}\n"                                                                \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX2, (H, DW7_P2))
#define DW7_DIFF_BYTES_S1X3 "72"
#define DW7_ST_S1X3 ("r3", "r4", "r5")
/* S1X2 (3x4, 14) and S1X1 (3x3, 10): the last 2 or 1 pixels of a row; S1X1
 * is also the last pixel of a stride-2 row (the same 3x3 window). */
#define DW7_BIAS_S1X2 DW7_BIAS2
#define DW7_COLUMNS_S1X2(H)                                                               \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX0, (H, DW7_P0))                                    \
  DW7_COLUMN(H, 3, 4, 5) DW7_CALL(DW7_KX1, (H, DW7_P0)) DW7_CALL(DW7_KX0, (H, DW7_P1))     \
  "ldmia %[rt]!, {r0-r5}\n"                                                                \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX2, (H, DW7_P0)) DW7_CALL(DW7_KX1, (H, DW7_P1))     \
  DW7_COLUMN(H, 3, 4, 5) DW7_CALL(DW7_KX2, (H, DW7_P1))                                    \
  "ldmia %[rt]!, {r0-r1}\n"
#define DW7_DIFF_BYTES_S1X2 "56"
#define DW7_ST_S1X2 ("r0", "r1")
#define DW7_BIAS_S1X1 DW7_BIAS1
#define DW7_COLUMNS_S1X1(H)                                                               \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX0, (H, DW7_P0))                                    \
  DW7_COLUMN(H, 3, 4, 5) DW7_CALL(DW7_KX1, (H, DW7_P0))                                    \
  "ldmia %[rt]!, {r0-r3}\n"                                                                \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX2, (H, DW7_P0))
#define DW7_DIFF_BYTES_S1X1 "40"
#define DW7_ST_S1X1 ("r3")
/* S2X3 (3x7, 24): the stride-2 pass, 7 loads per pixel instead of the 9 of
 * one pixel at a time, the weights and the requantization data of a half
 * loaded once for 3 pixels. */
#define DW7_BIAS_S2X3 DW7_BIAS3
#define DW7_COLUMNS_S2X3(H)                                                               \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX0, (H, DW7_P0))                                    \
  DW7_COLUMN(H, 3, 4, 5) DW7_CALL(DW7_KX1, (H, DW7_P0))                                    \
  "ldmia %[rt]!, {r0-r5}\n"                                                                \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX2, (H, DW7_P0)) DW7_CALL(DW7_KX0, (H, DW7_P1))     \
  DW7_COLUMN(H, 3, 4, 5) DW7_CALL(DW7_KX1, (H, DW7_P1))                                    \
  "ldmia %[rt]!, {r0-r5}\n"                                                                \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX2, (H, DW7_P1)) DW7_CALL(DW7_KX0, (H, DW7_P2))     \
  DW7_COLUMN(H, 3, 4, 5) DW7_CALL(DW7_KX1, (H, DW7_P2))                                    \
  "ldmia %[rt]!, {r0-r5}\n"                                                                \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX2, (H, DW7_P2))
#define DW7_DIFF_BYTES_S2X3 "96"
#define DW7_ST_S2X3 ("r3", "r4", "r5")
/* S2X2 (3x5, 17): the last 2 pixels of a stride-2 row. */
#define DW7_BIAS_S2X2 DW7_BIAS2
#define DW7_COLUMNS_S2X2(H)                                                               \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX0, (H, DW7_P0))                                    \
  DW7_COLUMN(H, 3, 4, 5) DW7_CALL(DW7_KX1, (H, DW7_P0))                                    \
  "ldmia %[rt]!, {r0-r5}\n"                                                                \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX2, (H, DW7_P0)) DW7_CALL(DW7_KX0, (H, DW7_P1))     \
  DW7_COLUMN(H, 3, 4, 5) DW7_CALL(DW7_KX1, (H, DW7_P1))                                    \
  "ldmia %[rt]!, {r0-r4}\n"                                                                \
  DW7_COLUMN(H, 0, 1, 2) DW7_CALL(DW7_KX2, (H, DW7_P1))
#define DW7_DIFF_BYTES_S2X2 "68"
#define DW7_ST_S2X2 ("r3", "r4")
/* pixels per geometry, for the requantization */
#define DW7_NPIX_S1X3 3
#define DW7_NPIX_S1X2 2
#define DW7_NPIX_S1X1 1
#define DW7_NPIX_S2X3 3
#define DW7_NPIX_S2X2 2
/* m##P applied to the store registers of G */
#define DW7_OUT(m, G) DW7_CALL(DW7_CAT(m, DW7_NPIX_##G), DW7_ST_##G)
#define DW7_CAT(a, b) DW7_CAT_(a, b)
#define DW7_CAT_(a, b) a##b

/* ---- fp32 ----
 * %[rc]: fmin[4] fmax[4] magic[4] (q2-q4), zero point bytes[16] (q5), the
 * vtbl index {0, 4, ..., 28} (d12), padding (d13).  Scales in q0-q1. */
#define DW7_FP32_PIXEL(a, b, list, out)                                                  \
  "vcvt.f32.s32 " a ", " a "\n" "vcvt.f32.s32 " b ", " b "\n"                             \
  "vmul.f32 " a ", " a ", q0\n" "vmul.f32 " b ", " b ", q1\n"                             \
  "vmax.f32 " a ", " a ", q2\n" "vmax.f32 " b ", " b ", q2\n"                             \
  "vmin.f32 " a ", " a ", q3\n" "vmin.f32 " b ", " b ", q3\n"                             \
  "vadd.f32 " a ", " a ", q4\n" "vadd.f32 " b ", " b ", q4\n"                             \
  "vtbl.8 " out ", {" list "}, d12\n"
#define DW7_FP32_W_LO "add %[w], %[w], #8\n"  /* +200 -> +208: scales 0-7 */
#define DW7_FP32_W_HI "add %[w], %[w], #32\n" /* +208 -> +240: scales 8-15 */
#define DW7_RQ_FP32(H, G)                                                                 \
  DW7_FP32_W_##H                                                                          \
  "vld1.32 {d0-d3}, [%[w]]!\n" /* lo: -> +240; hi: -> +272, the next block */              \
  "vldmia %[rc], {d4-d13}\n"                                                               \
  DW7_OUT(DW7_FP32_OUT, G)
/* requantize, store through the chain registers s0.. */
#define DW7_FP32_OUT3(s0, s1, s2)                                                         \
  DW7_FP32_PIXEL("q8", "q9", "d16-d19", "d14")                                             \
  DW7_FP32_PIXEL("q10", "q11", "d20-d23", "d15")                                           \
  DW7_FP32_PIXEL("q12", "q13", "d24-d27", "d13")                                           \
  "vadd.i8 q7, q7, q5\n"                                                                   \
  "vadd.i8 d13, d13, d10\n"                                                                \
  "vst1.8 {d14}, [%[cur]], " s0 "\n"                                                       \
  "vst1.8 {d15}, [%[cur]], " s1 "\n"                                                       \
  "vst1.8 {d13}, [%[cur]], " s2 "\n"
#define DW7_FP32_OUT2(s0, s1)                                                             \
  DW7_FP32_PIXEL("q8", "q9", "d16-d19", "d14")                                             \
  DW7_FP32_PIXEL("q10", "q11", "d20-d23", "d15")                                           \
  "vadd.i8 q7, q7, q5\n"                                                                   \
  "vst1.8 {d14}, [%[cur]], " s0 "\n"                                                       \
  "vst1.8 {d15}, [%[cur]], " s1 "\n"
#define DW7_FP32_OUT1(s0)                                                                 \
  DW7_FP32_PIXEL("q8", "q9", "d16-d19", "d14")                                             \
  "vadd.i8 d14, d14, d10\n"                                                                \
  "vst1.8 {d14}, [%[cur]], " s0 "\n"
#define DW7_FP32_NEXT "sub %[w], %[w], #208\n" /* +240 -> +32: the high half's bias */

/* ---- gemmlowp ----
 * %[rc] (the same 10 d registers as fp32): padding (d4-d7, overwritten by
 * the shifts), zero point int16[8] (q4), qmin bytes[16] (q5), qmax bytes[16]
 * (q6).  Multipliers in q0-q1, negated shifts in q2-q3. */
#define DW7_GEMMLOWP_PIXEL(a, b, out)                                                    \
  "vqrdmulh.s32 " a ", " a ", q0\n" "vqrdmulh.s32 " b ", " b ", q1\n"                     \
  "vand q14, " a ", q2\n" "vand q15, " b ", q3\n"                                          \
  "vshr.s32 q14, q14, #31\n" "vshr.s32 q15, q15, #31\n"                                    \
  "vqadd.s32 " a ", " a ", q14\n" "vqadd.s32 " b ", " b ", q15\n"                          \
  "vrshl.s32 " a ", " a ", q2\n" "vrshl.s32 " b ", " b ", q3\n"                            \
  "vqmovn.s32 d28, " a "\n" "vqmovn.s32 d29, " b "\n"                                      \
  "vqadd.s16 q14, q14, q4\n"                                                               \
  "vqmovn.s16 " out ", q14\n"
#define DW7_GEMMLOWP_W_LO "add %[w], %[w], #8\n"  /* +200 -> +208: multipliers 0-7 */
#define DW7_GEMMLOWP_W_HI "add %[w], %[w], #32\n" /* +208 -> +240: multipliers 8-15 */
#define DW7_RQ_GEMMLOWP(H, G)                                                             \
  DW7_GEMMLOWP_W_##H                                                                      \
  "vld1.32 {d0-d3}, [%[w]]!\n"                                                             \
  "add %[w], %[w], #32\n" /* the shifts, 64 bytes on */                                    \
  "vldmia %[rc], {d4-d13}\n"                                                               \
  "vld1.32 {d4-d7}, [%[w]]!\n" /* lo: -> +304; hi: -> +336 */                              \
  "vneg.s32 q2, q2\n" "vneg.s32 q3, q3\n"                                                  \
  DW7_OUT(DW7_GEMMLOWP_OUT, G)
#define DW7_GEMMLOWP_OUT3(s0, s1, s2)                                                     \
  DW7_GEMMLOWP_PIXEL("q8", "q9", "d14")                                                    \
  DW7_GEMMLOWP_PIXEL("q10", "q11", "d15")                                                  \
  DW7_GEMMLOWP_PIXEL("q12", "q13", "d30")                                                  \
  "vmax.s8 q7, q7, q5\n" "vmin.s8 q7, q7, q6\n"                                            \
  "vmax.s8 d30, d30, d10\n" "vmin.s8 d30, d30, d12\n"                                      \
  "vst1.8 {d14}, [%[cur]], " s0 "\n"                                                       \
  "vst1.8 {d15}, [%[cur]], " s1 "\n"                                                       \
  "vst1.8 {d30}, [%[cur]], " s2 "\n"
#define DW7_GEMMLOWP_OUT2(s0, s1)                                                         \
  DW7_GEMMLOWP_PIXEL("q8", "q9", "d14")                                                    \
  DW7_GEMMLOWP_PIXEL("q10", "q11", "d15")                                                  \
  "vmax.s8 q7, q7, q5\n" "vmin.s8 q7, q7, q6\n"                                            \
  "vst1.8 {d14}, [%[cur]], " s0 "\n"                                                       \
  "vst1.8 {d15}, [%[cur]], " s1 "\n"
#define DW7_GEMMLOWP_OUT1(s0)                                                             \
  DW7_GEMMLOWP_PIXEL("q8", "q9", "d14")                                                    \
  "vmax.s8 d14, d14, d10\n" "vmin.s8 d14, d14, d12\n"                                      \
  "vst1.8 {d14}, [%[cur]], " s0 "\n"
/* lo: +304 -> +32 (the high half's bias); hi: +336 -> +464, the next block */
#define DW7_GEMMLOWP_NEXT "sub %[w], %[w], #272\n"
#define DW7_GEMMLOWP_END "add %[w], %[w], #128\n"
#define DW7_FP32_END ""

/* Pass records: {cur, w, nblocks, diff[18]} (21 words) until nblocks == 0.
 * cur: the first row of channel 0 (the chain start); w: the first block;
 * diff: see the top.  Every pass does nblocks whole 16-channel blocks. */
#define DW7_REC 21
#define DW7_ASM(MODE, G)                                                                     \
  do {                                                                                     \
    const uint8_t *cur, *w;                                                                \
    uint32_t cnt;                                                                          \
    const uint32_t* rt = recs;                                                             \
    __asm__ volatile(                                                                      \
        "1:\n"                                                                             \
        "ldr %[cur], [%[rt]], #4\n"                                                        \
        "ldr %[w], [%[rt]], #4\n"                                                          \
        "ldr %[cnt], [%[rt]], #4\n"                                                        \
        "cmp %[cnt], #0\n"                                                                 \
        "beq 3f\n"                                                                         \
        "2:\n"                                                                             \
        DW7_HALF(G, LO, DW7_RQ_##MODE)                                                     \
        DW7_##MODE##_NEXT                                                                  \
        DW7_HALF(G, HI, DW7_RQ_##MODE)                                                     \
        DW7_##MODE##_END                                                                   \
        "subs %[cnt], %[cnt], #1\n"                                                        \
        "bne 2b\n"                                                                         \
        "add %[rt], %[rt], #" DW7_DIFF_BYTES_##G "\n"                                       \
        "b 1b\n"                                                                           \
        "3:\n"                                                                             \
        : [rt] "+r"(rt), [cur] "=&r"(cur), [w] "=&r"(w), [cnt] "=&r"(cnt)                  \
        : [rc] "r"(consts)                                                                 \
        : "cc", "memory", "r0", "r1", "r2", "r3", "r4", "r5", "d0", "d1", "d2", "d3", "d4", \
          "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15", "d16",   \
          "d17", "d18", "d19", "d20", "d21", "d22", "d23", "d24", "d25", "d26", "d27",     \
          "d28", "d29", "d30", "d31");                                                     \
  } while (0)

/* A record table of S1X3 (S == 1) or S2X3 passes. */
QK_DW_ALWAYS_INLINE void dw7_run(int S, int mode, const uint32_t* recs, const uint32_t* consts) {
  if (S == 1 && mode == QK_DWCONV_FP32) {
    DW7_ASM(FP32, S1X3);
  } else if (S == 1) {
    DW7_ASM(GEMMLOWP, S1X3);
  } else if (mode == QK_DWCONV_FP32) {
    DW7_ASM(FP32, S2X3);
  } else {
    DW7_ASM(GEMMLOWP, S2X3);
  }
}

/* The last 1 or 2 pixels of a row of stride S (whole blocks): one record of
 * P pixels from the 3 (S (P - 1) + 3) entries of its window, built here
 * (once per row).  One pixel is the 3x3 window S1X1 for either stride. */
QK_DW_ALWAYS_INLINE void dw7_run_last(int S, int mode, size_t P, const size_t* indirection, const void* input,
                                      const void* zero, const void* weights, size_t nblocks, uint8_t* out,
                                      size_t output_stride, const uint32_t* consts) {
  uint32_t a[15 + 2 + 1], recs[3 + 17 + 3];
  const size_t nrows = 3 * ((size_t) S * (P - 1) + 3);
  for (size_t i = 0; i < nrows; i++) a[i] = (uint32_t) (uintptr_t) qk_dwconv_tap(indirection[i], input, zero);
  for (size_t p = 0; p < P; p++) a[nrows + p] = (uint32_t) (uintptr_t) (out + p * output_stride);
  a[nrows + P] = a[0] + 8;
  recs[0] = a[0];
  recs[1] = (uint32_t) (uintptr_t) weights;
  recs[2] = (uint32_t) nblocks;
  for (size_t i = 0; i < nrows + P; i++) recs[3 + i] = a[i + 1] - a[i];
  recs[3 + nrows + P + 2] = 0;
  if (P == 1) {
    if (mode == QK_DWCONV_FP32) {
      DW7_ASM(FP32, S1X1);
    } else {
      DW7_ASM(GEMMLOWP, S1X1);
    }
  } else if (S == 1) {
    if (mode == QK_DWCONV_FP32) {
      DW7_ASM(FP32, S1X2);
    } else {
      DW7_ASM(GEMMLOWP, S1X2);
    }
  } else {
    if (mode == QK_DWCONV_FP32) {
      DW7_ASM(FP32, S2X2);
    } else {
      DW7_ASM(GEMMLOWP, S2X2);
    }
  }
}

/* The record of one S1X3 pass from its 15 row addresses (window column j,
 * row y at 3j + y) and its first output; outputs at out0 + p * stride. */
QK_DW_ALWAYS_INLINE void dw7_record(uint32_t* rec, uint32x4_t p0, uint32x4_t p1, uint32x4_t p2, uint32x4_t p3,
                                    uint32_t out0, uint32x4_t ostep, uint32_t w, uint32_t nblocks) {
  /* p3 holds addresses 11-14 (overlapping p2) */
  const uint32_t a0 = vgetq_lane_u32(p0, 0);
  const uint32x4_t ov = vsetq_lane_u32(a0 + 8, vaddq_u32(vdupq_n_u32(out0), ostep), 3); /* 15-17, then a0 + 8 */
  const uint32x4_t v3 = vextq_u32(p3, ov, 1);                                               /* 12-15 */
  const uint32x4_t v4 = vextq_u32(ov, ov, 1);                                               /* 16-18 */
  rec[0] = a0;
  rec[1] = w;
  rec[2] = nblocks;
  vst1q_u32(rec + 3, vsubq_u32(vextq_u32(p0, p1, 1), p0));
  vst1q_u32(rec + 7, vsubq_u32(vextq_u32(p1, p2, 1), p1));
  vst1q_u32(rec + 11, vsubq_u32(vextq_u32(p2, v3, 1), p2));
  vst1q_u32(rec + 15, vsubq_u32(vextq_u32(v3, v4, 1), v3));
  vst1_u32(rec + 19, vget_low_u32(vsubq_u32(vextq_u32(v4, v4, 1), v4)));
}

/* The record of one S2X3 pass from its 21 row addresses (p5 holds 17-20,
 * overlapping p4), likewise: 24 differences, all from vectors. */
QK_DW_ALWAYS_INLINE void dw7_record_s2(uint32_t* rec, uint32x4_t p0, uint32x4_t p1, uint32x4_t p2, uint32x4_t p3,
                                       uint32x4_t p4, uint32x4_t p5, uint32_t out0, uint32x4_t ostep, uint32_t w,
                                       uint32_t nblocks) {
  const uint32_t a0 = vgetq_lane_u32(p0, 0);
  const uint32x4_t ov = vsetq_lane_u32(a0 + 8, vaddq_u32(vdupq_n_u32(out0), ostep), 3); /* 21-23, then a0 + 8 */
  const uint32x4_t v5 = vextq_u32(p5, ov, 3);                                               /* 20-23 */
  rec[0] = a0;
  rec[1] = w;
  rec[2] = nblocks;
  vst1q_u32(rec + 3, vsubq_u32(vextq_u32(p0, p1, 1), p0));
  vst1q_u32(rec + 7, vsubq_u32(vextq_u32(p1, p2, 1), p1));
  vst1q_u32(rec + 11, vsubq_u32(vextq_u32(p2, p3, 1), p2));
  vst1q_u32(rec + 15, vsubq_u32(vextq_u32(p3, p4, 1), p3));
  vst1q_u32(rec + 19, vsubq_u32(vextq_u32(p4, v5, 1), p4));
  vst1q_u32(rec + 23, vsubq_u32(ov, v5));
}

/* Passes per record table: 48 pixels, 1.7 KB on the stack. */
#define DW7_CHUNK 16
#define DW7_REC_S1 21 /* words per record: cur, w, nblocks, the differences */
#define DW7_REC_S2 27

/* vld1q_u32 of 4 entries -> their addresses */
#define DW7_ADDR(e) vbslq_u32(vceqq_u32(e, sentinel), zrow, vaddq_u32(e, base))

/* A compact row of stride S (S1X3 / S2X3 passes: whole blocks through the
 * assembly, a chunk of passes per call; the last < 16 channels of each pass
 * through a zeroed stack copy, as qk_dw8_pass), then the last 1-2 pixels
 * (dw7_run_last). */
QK_DW_ALWAYS_INLINE void dw7_row(int S, int mode, size_t channels, size_t output_width, const size_t* indirection,
                                 const void* input, const void* zero, const void* weights, void* output,
                                 size_t output_stride, const qk_dwconv_params* params) {
  const size_t block = qk_dwconv_mul8_block_bytes(QK_DW8_CR, 9, mode);
  const size_t nfull = channels / QK_DW8_CR, n = channels % QK_DW8_CR;
  const size_t adv = 9 * (size_t) S;             /* entries per pass */
  const size_t nrows = 3 * (2 * (size_t) S + 3); /* row addresses per pass: 15 / 21 */
  const size_t rec_words = S == 1 ? DW7_REC_S1 : DW7_REC_S2;
  const qk_dw_neon_out o = qk_dw_neon_out_init(params);
  uint32_t consts[20] __attribute__((aligned(8)));
  if (mode == QK_DWCONV_FP32) {
    static const uint8_t index[8] = {0, 4, 8, 12, 16, 20, 24, 28};
    vst1q_f32((float*) consts, o.fmin);
    vst1q_f32((float*) consts + 4, o.fmax);
    vst1q_f32((float*) consts + 8, o.magic);
    vst1q_s8((int8_t*) (consts + 12), vdupq_n_s8((int8_t) params->q.zero_point));
    vst1_u8((uint8_t*) (consts + 16), vld1_u8(index));
    consts[18] = consts[19] = 0;
  } else {
    vst1q_u32(consts, vdupq_n_u32(0));
    vst1q_u32(consts + 4, vdupq_n_u32(0));
    vst1q_s16((int16_t*) (consts + 8), o.zp);
    vst1q_u8((uint8_t*) (consts + 12), o.qmin16);
    vst1q_u8((uint8_t*) (consts + 16), o.qmax16);
  }
  const uint32x4_t base = vdupq_n_u32((uint32_t) (uintptr_t) input);
  const uint32x4_t zrow = vdupq_n_u32((uint32_t) (uintptr_t) zero);
  const uint32x4_t sentinel = vdupq_n_u32((uint32_t) QK_DWCONV_ZERO);
  const uint32_t os = (uint32_t) output_stride;
  const uint32_t ostep_init[4] = {0, os, 2 * os, 0};
  const uint32x4_t ostep = vld1q_u32(ostep_init);
  const size_t npass_row = output_width / 3;
  uint8_t* out = (uint8_t*) output;
  const size_t c = nfull * QK_DW8_CR;
  const uint32_t wt = (uint32_t) (uintptr_t) weights;
  for (size_t k0 = 0; k0 < npass_row; k0 += DW7_CHUNK) {
    const size_t npass = npass_row - k0 < DW7_CHUNK ? npass_row - k0 : DW7_CHUNK;
    if (nfull != 0) {
      uint32_t recs[DW7_CHUNK * DW7_REC_S2 + 3];
      uint32_t* rec = recs;
      const uint32_t* e = (const uint32_t*) indirection;
      uint32_t o0 = (uint32_t) (uintptr_t) out;
      for (size_t k = 0; k < npass; k++) {
        /* entries adv k .. adv k + nrows - 1 (the last load overlaps: the
         * entries after them may be past the row) */
        if (S == 1) {
          dw7_record(rec, DW7_ADDR(vld1q_u32(e)), DW7_ADDR(vld1q_u32(e + 4)), DW7_ADDR(vld1q_u32(e + 8)),
                     DW7_ADDR(vld1q_u32(e + 11)), o0, ostep, wt, (uint32_t) nfull);
        } else {
          dw7_record_s2(rec, DW7_ADDR(vld1q_u32(e)), DW7_ADDR(vld1q_u32(e + 4)), DW7_ADDR(vld1q_u32(e + 8)),
                        DW7_ADDR(vld1q_u32(e + 12)), DW7_ADDR(vld1q_u32(e + 16)), DW7_ADDR(vld1q_u32(e + 17)), o0,
                        ostep, wt, (uint32_t) nfull);
        }
        rec += rec_words;
        e += adv;
        o0 += 3 * os;
      }
      rec[2] = 0;
      dw7_run(S, mode, recs, consts);
    }
    if (n != 0) {
      /* the tail: 15 / 21 rows of 16 bytes (n real) and 3 outputs on the
       * stack; its record does not depend on the pass */
      uint8_t buf[21 * QK_DW8_CR] __attribute__((aligned(16)));
      uint8_t tmp[3 * QK_DW8_CR] __attribute__((aligned(16)));
      uint32_t trec[DW7_REC_S2 + 3];
      const uint32x4_t b = vdupq_n_u32((uint32_t) (uintptr_t) buf);
      const uint32_t i0[4] = {0, 16, 32, 48}, t0[4] = {0, 16, 32, 0};
      const uint32x4_t i4 = vld1q_u32(i0);
#define DW7_BUF(row) vaddq_u32(b, vaddq_u32(i4, vdupq_n_u32(16 * (row))))
      const uint32_t tw = (uint32_t) (uintptr_t) ((const uint8_t*) weights + nfull * block);
      if (S == 1) {
        dw7_record(trec, DW7_BUF(0), DW7_BUF(4), DW7_BUF(8), DW7_BUF(11), (uint32_t) (uintptr_t) tmp, vld1q_u32(t0),
                   tw, 1);
      } else {
        dw7_record_s2(trec, DW7_BUF(0), DW7_BUF(4), DW7_BUF(8), DW7_BUF(12), DW7_BUF(16), DW7_BUF(17),
                      (uint32_t) (uintptr_t) tmp, vld1q_u32(t0), tw, 1);
      }
#undef DW7_BUF
      trec[rec_words + 2] = 0;
      for (size_t k = 0; k < npass; k++) {
        memset(buf, 0, nrows * QK_DW8_CR);
        for (size_t i = 0; i < nrows; i++) {
          memcpy(buf + i * QK_DW8_CR, qk_dwconv_tap(indirection[adv * k + i], input, zero) + c, n);
        }
        dw7_run(S, mode, trec, consts);
        for (int p = 0; p < 3; p++) memcpy(out + (3 * k + p) * output_stride + c, tmp + p * QK_DW8_CR, n);
      }
    }
    indirection += adv * npass;
    out += 3 * npass * output_stride;
  }
  const size_t rest = output_width - 3 * npass_row;
  if (rest != 0 && nfull != 0) {
    /* whole blocks in assembly, the channel tail one pixel at a time (the
     * one-pixel code on the rows, weights and outputs offset by c) */
    dw7_run_last(S, mode, rest, indirection, input, zero, weights, nfull, out, output_stride, consts);
    if (n != 0) {
      qk_dw8_single(mode, n, rest, indirection, 3 * (size_t) S, (const uint8_t*) input + c,
                    (const uint8_t*) zero + c, (const uint8_t*) weights + nfull * block, block, out + c,
                    output_stride, &o);
    }
  } else {
    qk_dw8_single(mode, channels, rest, indirection, 3 * (size_t) S, input, zero, weights, block, out,
                  output_stride, &o);
  }
}
#undef DW7_ADDR

static QK_DW8_KERNEL(dw7_generic, 1, 1)

void qs8_dwconv_mul8_ukernel_up16x9x3__neon(size_t channels, size_t output_width, const size_t* indirection,
                                            size_t step, const void* input, const void* zero, const void* weights,
                                            void* output, size_t output_stride, const qk_dwconv_params* params) {
  /* stride and mode as constants, so each row function holds its asm variants only */
#define DW7_ROW(S, MODE) \
  dw7_row(S, MODE, channels, output_width, indirection, input, zero, weights, output, output_stride, params)
  const int fp32 = params->mode == QK_DWCONV_FP32;
  if (step == 3 && output_width >= 3) {
    if (fp32) DW7_ROW(1, QK_DWCONV_FP32);
    else DW7_ROW(1, QK_DWCONV_GEMMLOWP);
  } else if (step == 6 && output_width >= 3) {
    if (fp32) DW7_ROW(2, QK_DWCONV_FP32);
    else DW7_ROW(2, QK_DWCONV_GEMMLOWP);
  } else {
    dw7_generic(channels, output_width, indirection, step, input, zero, weights, output, output_stride, params);
  }
#undef DW7_ROW
}
#else
typedef int qk_qs8_dwconv_mul8_up16x9x3_aarch32_neon_is_armv7_only; /* keeps the translation unit non-empty */
#endif
