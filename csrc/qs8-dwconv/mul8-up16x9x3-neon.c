/* qs8 depthwise, int8-weight layout, 16 channels x 9 taps, aarch64 NEON:
 * three output pixels per pass for compact stride-1 and stride-2 rows
 * (sharing the 3x5 / 3x7 input window and the block's weight registers),
 * one pixel at a time otherwise.  Body and rationale: dwconv-mul8-neon.h.
 *
 * The hot case -- stride 1, the MobileNet layers -- is written out in inline
 * assembly below (fp32 and gemmlowp requantization): it needs all 32 vector registers
 * (9 weights, 3 pixels x 4 accumulators, 3 input rows, one pending pair,
 * 2 product temporaries, 3 output constants), and GCC 12 spills a dozen of
 * them per block when the same loop is written with intrinsics (QEMU
 * cortex-a72, 56x56x144 s1 fp32: 0.547 instructions/MAC with intrinsics,
 * 0.507 with this block; its floor is 208 / 432 = 0.48, the rest being the
 * row pointers of each pass and the last pixels of a row).  The block's
 * arithmetic is exactly that of qk_dw8_block (intrinsics) for P = 3, S = 1,
 * which still serves stride 2.
 *
 * Built for armv7 too (a "neon" file) but empty there: 16 q registers do
 * not hold three pixels' accumulators next to the weights. */
#if defined(__aarch64__)
#if defined(__GNUC__) && !defined(__clang__)
/* Without pre-RA scheduling GCC keeps each input load next to its use
 * instead of hoisting all 15 (and spilling); fewer instructions per block. */
#pragma GCC optimize("no-schedule-insns")
#endif
#include "qkernels/dwconv-mul8-neon.h"

/* ---- stride 1, fp32: assembly building blocks (registers as strings) ----
 * v0-v8 weights (tap t = kx*3 + y; v0-v7 reused for the requantization
 * data at the end), v9-v11 the window column's three rows, %[zp] zero point
 * (int16 lanes), %[qmin]/%[qmax] clamp bytes (inputs, so in v12-v14), v16-v19 / v20-v23 / v24-v27 the accumulators of
 * pixels 0 / 1 / 2, v28-v29 tap (0,2)'s products waiting for (1,2),
 * v30-v31 products. */
#define DW8_MUL(lo, hi, x, k) \
  "smull " lo ".8h, " x ".8b, " k ".8b\n" \
  "smull2 " hi ".8h, " x ".16b, " k ".16b\n"
#define DW8_MLA(lo, hi, x, k) \
  "smlal " lo ".8h, " x ".8b, " k ".8b\n" \
  "smlal2 " hi ".8h, " x ".16b, " k ".16b\n"
#define DW8_WIDEN(a0, a1, a2, a3, lo, hi) \
  "saddw " a0 ".4s, " a0 ".4s, " lo ".4h\n" \
  "saddw2 " a1 ".4s, " a1 ".4s, " lo ".8h\n" \
  "saddw " a2 ".4s, " a2 ".4s, " hi ".4h\n" \
  "saddw2 " a3 ".4s, " a3 ".4s, " hi ".8h\n"
/* rows (y = 0, 1, 2) of window column j into v9-v11 */
#define DW8_COLUMN(j) \
  "ldr q9, [%[r" #j "0], %[c]]\n" \
  "ldr q10, [%[r" #j "1], %[c]]\n" \
  "ldr q11, [%[r" #j "2], %[c]]\n"
/* the current column as tap column kx of a pixel: the (kx,0)+(kx,1) pair, and
 * (0,2) kept pending / (1,2) added to it / (2,2) alone */
#define DW8_KX0(a0, a1, a2, a3) \
  DW8_MUL("v30", "v31", "v9", "v0") DW8_MLA("v30", "v31", "v10", "v1") DW8_WIDEN(a0, a1, a2, a3, "v30", "v31") \
  DW8_MUL("v28", "v29", "v11", "v2")
#define DW8_KX1(a0, a1, a2, a3) \
  DW8_MUL("v30", "v31", "v9", "v3") DW8_MLA("v30", "v31", "v10", "v4") DW8_WIDEN(a0, a1, a2, a3, "v30", "v31") \
  DW8_MLA("v28", "v29", "v11", "v5") DW8_WIDEN(a0, a1, a2, a3, "v28", "v29")
#define DW8_KX2(a0, a1, a2, a3) \
  DW8_MUL("v30", "v31", "v9", "v6") DW8_MLA("v30", "v31", "v10", "v7") DW8_WIDEN(a0, a1, a2, a3, "v30", "v31") \
  DW8_MUL("v30", "v31", "v11", "v8") DW8_WIDEN(a0, a1, a2, a3, "v30", "v31")
#define DW8_P0 "v16", "v17", "v18", "v19"
#define DW8_P1 "v20", "v21", "v22", "v23"
#define DW8_P2 "v24", "v25", "v26", "v27"
#define DW8_CALL(m, args) m args
/* fp32 requantization of one pixel (scales in v0-v3), as
 * qk_dw_neon_requant_s16 + qk_dw_neon_narrow16: convert, scale, round to
 * nearest even (saturating), then DW8_NARROW: narrow with saturation, add
 * the zero point (saturating), narrow, clamp, store 16 bytes. */
#define DW8_REQUANT_FP32(a0, a1, a2, a3, out) \
  "scvtf " a0 ".4s, " a0 ".4s\n" "scvtf " a1 ".4s, " a1 ".4s\n" \
  "scvtf " a2 ".4s, " a2 ".4s\n" "scvtf " a3 ".4s, " a3 ".4s\n" \
  "fmul " a0 ".4s, " a0 ".4s, v0.4s\n" "fmul " a1 ".4s, " a1 ".4s, v1.4s\n" \
  "fmul " a2 ".4s, " a2 ".4s, v2.4s\n" "fmul " a3 ".4s, " a3 ".4s, v3.4s\n" \
  "fcvtns " a0 ".4s, " a0 ".4s\n" "fcvtns " a1 ".4s, " a1 ".4s\n" \
  "fcvtns " a2 ".4s, " a2 ".4s\n" "fcvtns " a3 ".4s, " a3 ".4s\n" \
  DW8_NARROW(a0, a1, a2, a3, out)
/* gemmlowp (multipliers in v0-v3, negated shifts in v4-v7), as
 * qk_dw_neon_gemmlowp4: SaturatingRoundingDoublingHighMul, then
 * RoundingDivideByPOT (the sign fix-up, a rounding shift) */
#define DW8_GEMMLOWP4(a, m, sh) \
  "sqrdmulh " a ".4s, " a ".4s, " m ".4s\n" \
  "and v30.16b, " a ".16b, " sh ".16b\n" \
  "sshr v30.4s, v30.4s, #31\n" \
  "sqadd " a ".4s, " a ".4s, v30.4s\n" \
  "srshl " a ".4s, " a ".4s, " sh ".4s\n"
#define DW8_REQUANT_GEMMLOWP(a0, a1, a2, a3, out) \
  DW8_GEMMLOWP4(a0, "v0", "v4") DW8_GEMMLOWP4(a1, "v1", "v5") \
  DW8_GEMMLOWP4(a2, "v2", "v6") DW8_GEMMLOWP4(a3, "v3", "v7") \
  DW8_NARROW(a0, a1, a2, a3, out)
/* int32 results -> 16 bytes: as qk_dw_neon_requant_s16 + qk_dw_neon_narrow16 */
#define DW8_NARROW(a0, a1, a2, a3, out) \
  "sqxtn v30.4h, " a0 ".4s\n" "sqxtn2 v30.8h, " a1 ".4s\n" \
  "sqxtn v31.4h, " a2 ".4s\n" "sqxtn2 v31.8h, " a3 ".4s\n" \
  "sqadd v30.8h, v30.8h, %[zp].8h\n" "sqadd v31.8h, v31.8h, %[zp].8h\n" \
  "sqxtn v30.8b, v30.8h\n" "sqxtn2 v30.16b, v31.8h\n" \
  "smax v30.16b, v30.16b, %[qmin].16b\n" "smin v30.16b, v30.16b, %[qmax].16b\n" \
  "str q30, [%[" out "], %[c]]\n"

/* `nblocks` (>= 1) whole 16-channel blocks of 3 stride-1 pixels from
 * channel 0 of the rows r[j*3 + y] (5 window columns) and outputs outs[p];
 * w: the first block.  fp32: 208 instructions per block (432 MACs). */
#define DW8_S1X3_ASM(RQLOAD, REQUANT)                                                                           \
  size_t c = 0;                                                                                              \
  __asm__ volatile(                                                                                          \
      "0:\n"                                                                                                 \
      /* bias into the three pixels' accumulators, then the 9 weight registers */                           \
      "ld1 {v16.4s-v19.4s}, [%[w]]\n"                                                                        \
      "ld1 {v20.4s-v23.4s}, [%[w]]\n"                                                                        \
      "ld1 {v24.4s-v27.4s}, [%[w]], #64\n"                                                                   \
      "ld1 {v0.16b-v3.16b}, [%[w]], #64\n"                                                                   \
      "ld1 {v4.16b-v7.16b}, [%[w]], #64\n"                                                                   \
      "ld1 {v8.16b}, [%[w]], #16\n"                                                                          \
      /* window column j is tap column j - p of pixel p; within a column kx = 2,                             \
       * 1, 0, so the pending pair is consumed (kx 1) before it is refilled (kx 0) */                        \
      DW8_COLUMN(0) DW8_CALL(DW8_KX0, (DW8_P0))                                                              \
      DW8_COLUMN(1) DW8_CALL(DW8_KX1, (DW8_P0)) DW8_CALL(DW8_KX0, (DW8_P1))                                  \
      DW8_COLUMN(2) DW8_CALL(DW8_KX2, (DW8_P0)) DW8_CALL(DW8_KX1, (DW8_P1)) DW8_CALL(DW8_KX0, (DW8_P2))      \
      DW8_COLUMN(3) DW8_CALL(DW8_KX2, (DW8_P1)) DW8_CALL(DW8_KX1, (DW8_P2))                                  \
      DW8_COLUMN(4) DW8_CALL(DW8_KX2, (DW8_P2))                                                              \
      RQLOAD /* requantization data; w is then the next block */                                             \
      DW8_CALL(REQUANT, (DW8_P0, "o0"))                                                                      \
      DW8_CALL(REQUANT, (DW8_P1, "o1"))                                                                      \
      DW8_CALL(REQUANT, (DW8_P2, "o2"))                                                                      \
      "add %[c], %[c], #16\n"                                                                                \
      "subs %[n], %[n], #1\n"                                                                                \
      "b.ne 0b\n"                                                                                            \
      : [w] "+r"(w), [n] "+r"(nblocks), [c] "+r"(c)                                                          \
      : [r00] "r"(r[0]), [r01] "r"(r[1]), [r02] "r"(r[2]), [r10] "r"(r[3]), [r11] "r"(r[4]), [r12] "r"(r[5]), \
        [r20] "r"(r[6]), [r21] "r"(r[7]), [r22] "r"(r[8]), [r30] "r"(r[9]), [r31] "r"(r[10]),                 \
        [r32] "r"(r[11]), [r40] "r"(r[12]), [r41] "r"(r[13]), [r42] "r"(r[14]), [o0] "r"(outs[0]),           \
        [o1] "r"(outs[1]), [o2] "r"(outs[2]), [zp] "w"(o->zp), [qmin] "w"(o->qmin16), [qmax] "w"(o->qmax16)   \
      : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v15",      \
        "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29",    \
        "v30", "v31")

/* fp32 data: scale[16]; gemmlowp: multiplier[16], shift[16] (negated here for
 * srshl), then rounding[16] and pow[16], which these kernels skip */
#define DW8_RQLOAD_FP32 "ld1 {v0.4s-v3.4s}, [%[w]], #64\n"
#define DW8_RQLOAD_GEMMLOWP                                                         \
  "ld1 {v0.4s-v3.4s}, [%[w]], #64\n" "ld1 {v4.4s-v7.4s}, [%[w]], #64\n"             \
  "neg v4.4s, v4.4s\n" "neg v5.4s, v5.4s\n" "neg v6.4s, v6.4s\n" "neg v7.4s, v7.4s\n" \
  "add %[w], %[w], #128\n"

QK_DW_ALWAYS_INLINE void dw8_s1x3(int mode, const uint8_t* const* r, size_t nblocks, const uint8_t* w,
                                  uint8_t* const* outs, const qk_dw_neon_out* o) {
  /* the output constants are asm inputs: left out of the clobbers, they can
   * only live in v12-v14, and stay there across the passes of a row */
  if (mode == QK_DWCONV_FP32) {
    DW8_S1X3_ASM(DW8_RQLOAD_FP32, DW8_REQUANT_FP32);
  } else {
    DW8_S1X3_ASM(DW8_RQLOAD_GEMMLOWP, DW8_REQUANT_GEMMLOWP);
  }
}

/* A row with stride 1: passes of 3 pixels through the assembly (the last
 * < 16 channels via a zeroed stack copy, as qk_dw8_pass), then the
 * remaining pixels one at a time. */
QK_DW_ALWAYS_INLINE void dw8_row_s1(int mode, size_t channels, size_t output_width, const size_t* indirection, const void* input,
                            const void* zero, const void* weights, void* output, size_t output_stride,
                            const qk_dwconv_params* params) {
  const size_t block = qk_dwconv_mul8_block_bytes(QK_DW8_CR, 9, mode);
  const size_t nfull = channels / QK_DW8_CR, n = channels % QK_DW8_CR;
  const qk_dw_neon_out o = qk_dw_neon_out_init(params);
  uint8_t* out = (uint8_t*) output;
  size_t px = 0;
  const uint8_t* r[15];
  /* the first 2 window columns of a pass are the last 2 of the previous one */
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) r[9 + i] = qk_dwconv_tap(indirection[i], input, zero);
  for (; px + 3 <= output_width; px += 3) {
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) r[i] = r[9 + i];
#pragma GCC unroll 9
    for (int i = 6; i < 15; i++) r[i] = qk_dwconv_tap(indirection[i], input, zero);
    uint8_t* outs[3] = {out, out + output_stride, out + 2 * output_stride};
    if (nfull != 0) dw8_s1x3(mode, r, nfull, (const uint8_t*) weights, outs, &o);
    if (n != 0) {
      const size_t c = nfull * QK_DW8_CR;
      uint8_t buf[15 * QK_DW8_CR], tmp[3][QK_DW8_CR];
      const uint8_t* br[15];
      uint8_t* touts[3] = {tmp[0], tmp[1], tmp[2]};
      memset(buf, 0, sizeof buf);
#pragma GCC unroll 15
      for (int i = 0; i < 15; i++) {
        memcpy(buf + i * QK_DW8_CR, r[i] + c, n);
        br[i] = buf + i * QK_DW8_CR;
      }
      dw8_s1x3(mode, br, 1, (const uint8_t*) weights + nfull * block, touts, &o);
      for (int p = 0; p < 3; p++) memcpy(outs[p] + c, tmp[p], n);
    }
    indirection += 9;
    out += 3 * output_stride;
  }
  qk_dw8_single(mode, channels, output_width - px, indirection, 3, input, zero, weights, block, out,
                output_stride, &o);
}

static QK_DW8_KERNEL(dw8_generic, 3, 3)

void qs8_dwconv_mul8_ukernel_up16x9x3__neon(size_t channels, size_t output_width, const size_t* indirection,
                                            size_t step, const void* input, const void* zero, const void* weights,
                                            void* output, size_t output_stride, const qk_dwconv_params* params) {
  if (step == 3 && params->mode == QK_DWCONV_FP32) {
    dw8_row_s1(QK_DWCONV_FP32, channels, output_width, indirection, input, zero, weights, output, output_stride,
               params);
  } else if (step == 3) {
    dw8_row_s1(QK_DWCONV_GEMMLOWP, channels, output_width, indirection, input, zero, weights, output,
               output_stride, params);
  } else {
    dw8_generic(channels, output_width, indirection, step, input, zero, weights, output, output_stride, params);
  }
}
#else
typedef int qk_qs8_dwconv_mul8_up16x9x3_neon_is_aarch64_only; /* keeps the translation unit non-empty */
#endif
