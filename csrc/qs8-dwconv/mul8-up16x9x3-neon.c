/* qs8 depthwise, int8-weight layout, 16 channels x 9 taps, aarch64 NEON:
 * several output pixels per pass on compact rows -- 3 of stride 1 or 2 of
 * stride 2, both reading a 3x5 input window and sharing the block's weight
 * registers -- one pixel at a time otherwise (dilation, other steps).  Body
 * and rationale of the arithmetic: dwconv-mul8-neon.h.
 *
 * The passes are written out in inline assembly below (fp32 and gemmlowp
 * requantization, with and without a clamp): a block needs all 32 vector
 * registers (9 weights, 3 pixels x 4 accumulators, 3 input rows, one pending
 * pair, 2 product temporaries, 3 output constants), and GCC 12 spills a
 * dozen of them per block when the same loop is written with intrinsics
 * (qk_dw8_block, which computes exactly the same).  QEMU cortex-a72,
 * 56x56x144 fp32, instructions/MAC: stride 1 0.547 with intrinsics, 0.507
 * with the block in asm, 0.489 with the pass loop in asm too and no clamp
 * instructions for a whole-range clamp (0.503 with a clamp); the block's
 * floor is 202-208 / 432 = 0.47-0.48, the rest being the row pointers and
 * the last pixels of a row.  Stride 2: 0.579 with 3-pixel intrinsics, 0.520
 * with the 2-pixel asm.
 *
 * Built for armv7 too (a "neon" file) but empty there: 16 q registers do
 * not hold three pixels' 16-channel accumulators next to the weights; the
 * armv7 kernel of the same name (mul8-up16x9x3-aarch32-neon.c) works in
 * 8-channel halves. */
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
#define DW8_REQUANT_FP32(NARROW, a0, a1, a2, a3, out) \
  "scvtf " a0 ".4s, " a0 ".4s\n" "scvtf " a1 ".4s, " a1 ".4s\n" \
  "scvtf " a2 ".4s, " a2 ".4s\n" "scvtf " a3 ".4s, " a3 ".4s\n" \
  "fmul " a0 ".4s, " a0 ".4s, v0.4s\n" "fmul " a1 ".4s, " a1 ".4s, v1.4s\n" \
  "fmul " a2 ".4s, " a2 ".4s, v2.4s\n" "fmul " a3 ".4s, " a3 ".4s, v3.4s\n" \
  "fcvtns " a0 ".4s, " a0 ".4s\n" "fcvtns " a1 ".4s, " a1 ".4s\n" \
  "fcvtns " a2 ".4s, " a2 ".4s\n" "fcvtns " a3 ".4s, " a3 ".4s\n" \
  NARROW(a0, a1, a2, a3, out)
/* gemmlowp (multipliers in v0-v3, negated shifts in v4-v7), as
 * qk_dw_neon_gemmlowp4: SaturatingRoundingDoublingHighMul, then
 * RoundingDivideByPOT (the sign fix-up, a rounding shift) */
#define DW8_GEMMLOWP4(a, m, sh) \
  "sqrdmulh " a ".4s, " a ".4s, " m ".4s\n" \
  "and v30.16b, " a ".16b, " sh ".16b\n" \
  "sshr v30.4s, v30.4s, #31\n" \
  "sqadd " a ".4s, " a ".4s, v30.4s\n" \
  "srshl " a ".4s, " a ".4s, " sh ".4s\n"
#define DW8_REQUANT_GEMMLOWP(NARROW, a0, a1, a2, a3, out) \
  DW8_GEMMLOWP4(a0, "v0", "v4") DW8_GEMMLOWP4(a1, "v1", "v5") \
  DW8_GEMMLOWP4(a2, "v2", "v6") DW8_GEMMLOWP4(a3, "v3", "v7") \
  NARROW(a0, a1, a2, a3, out)
/* int32 results -> 16 bytes: as qk_dw_neon_requant_s16 + qk_dw_neon_narrow16.
 * DW8_NARROW_FULL leaves out the clamp when it is the whole int8 range
 * [-128, 127] -- the saturating narrow already lands there.  That is the
 * common case, not a corner: besides layers without activation, TFLite
 * quantizes a ReLU6 output to [0, 6] with zero point -128 and scale 6/255,
 * so its clamp is [-128, 127] too.  2 instructions per pixel, 6 per block. */
#define DW8_NARROW_INT8(a0, a1, a2, a3) \
  "sqxtn v30.4h, " a0 ".4s\n" "sqxtn2 v30.8h, " a1 ".4s\n" \
  "sqxtn v31.4h, " a2 ".4s\n" "sqxtn2 v31.8h, " a3 ".4s\n" \
  "sqadd v30.8h, v30.8h, %[zp].8h\n" "sqadd v31.8h, v31.8h, %[zp].8h\n" \
  "sqxtn v30.8b, v30.8h\n" "sqxtn2 v30.16b, v31.8h\n"
#define DW8_NARROW_CLAMP(a0, a1, a2, a3, out) \
  DW8_NARROW_INT8(a0, a1, a2, a3) \
  "smax v30.16b, v30.16b, %[qmin].16b\n" "smin v30.16b, v30.16b, %[qmax].16b\n" \
  "str q30, [%[" out "], %[c]]\n"
#define DW8_NARROW_FULL(a0, a1, a2, a3, out) \
  DW8_NARROW_INT8(a0, a1, a2, a3) \
  "str q30, [%[" out "], %[c]]\n"

/* Pass geometries: 3 pixels of stride 1 (window columns 0-4; column j is
 * tap column j - p of pixel p), or 2 pixels of stride 2 (columns 0-4 again;
 * pixel 1 starts at column 2).  Both read 15 row pointers per pass, which
 * is what the 30-operand limit of GCC's asm allows next to everything else;
 * 3 pixels of stride 2 would need 21.  Within a column kx runs 2, 1, 0, so
 * the pending pair is consumed (kx 1) before it is refilled (kx 0).  Per
 * geometry: bias loads, the columns, the requantization of each pixel, the
 * bytes the pointer table advances per pass, the next pass's first output. */
#define DW8_BIAS_S1X3 \
  "ld1 {v16.4s-v19.4s}, [x16]\n" "ld1 {v20.4s-v23.4s}, [x16]\n" "ld1 {v24.4s-v27.4s}, [x16], #64\n"
#define DW8_COLUMNS_S1X3                                                                                    \
  DW8_COLUMN(0) DW8_CALL(DW8_KX0, (DW8_P0))                                                                 \
  DW8_COLUMN(1) DW8_CALL(DW8_KX1, (DW8_P0)) DW8_CALL(DW8_KX0, (DW8_P1))                                     \
  DW8_COLUMN(2) DW8_CALL(DW8_KX2, (DW8_P0)) DW8_CALL(DW8_KX1, (DW8_P1)) DW8_CALL(DW8_KX0, (DW8_P2))         \
  DW8_COLUMN(3) DW8_CALL(DW8_KX2, (DW8_P1)) DW8_CALL(DW8_KX1, (DW8_P2))                                     \
  DW8_COLUMN(4) DW8_CALL(DW8_KX2, (DW8_P2))
#define DW8_REQUANTS_S1X3(REQUANT, NARROW) \
  DW8_CALL(REQUANT, (NARROW, DW8_P0, "o0")) DW8_CALL(REQUANT, (NARROW, DW8_P1, "o1")) DW8_CALL(REQUANT, (NARROW, DW8_P2, "o2"))
#define DW8_ADVANCE_S1X3 "#72" /* 3 pixels x 1 column x 3 rows x 8 bytes */
#define DW8_NEXT_OUT_S1X3 "o2"
#define DW8_BIAS_S2X2 "ld1 {v16.4s-v19.4s}, [x16]\n" "ld1 {v20.4s-v23.4s}, [x16], #64\n"
#define DW8_COLUMNS_S2X2                                                                                    \
  DW8_COLUMN(0) DW8_CALL(DW8_KX0, (DW8_P0))                                                                 \
  DW8_COLUMN(1) DW8_CALL(DW8_KX1, (DW8_P0))                                                                 \
  DW8_COLUMN(2) DW8_CALL(DW8_KX2, (DW8_P0)) DW8_CALL(DW8_KX0, (DW8_P1))                                     \
  DW8_COLUMN(3) DW8_CALL(DW8_KX1, (DW8_P1))                                                                 \
  DW8_COLUMN(4) DW8_CALL(DW8_KX2, (DW8_P1))
#define DW8_REQUANTS_S2X2(REQUANT, NARROW) \
  DW8_CALL(REQUANT, (NARROW, DW8_P0, "o0")) DW8_CALL(REQUANT, (NARROW, DW8_P1, "o1"))
#define DW8_ADVANCE_S2X2 "#96" /* 2 pixels x 2 columns x 3 rows x 8 bytes */
#define DW8_NEXT_OUT_S2X2 "o1"

/* `npass` (>= 1) passes of geometry G, each over `nblocks` (>= 1) whole
 * 16-channel blocks from channel 0.  Pass k reads its 15 row pointers
 * (window column j, row y at j*3 + y) from the table at ptrs + k *
 * DW8_ADVANCE (consecutive passes share window columns) and writes pixel p
 * at out + (P*k + p) * stride.  Loading the pointers here keeps the 26
 * general registers inside the asm (x16 = the weights, x17 = blocks left)
 * instead of making the compiler materialize 18 pointer operands per pass.
 * fp32 S1X3: 208 instructions per block (432 MACs), 202 with
 * DW8_NARROW_FULL, plus 17 per pass; S2X2: 144 / 140 per block (288 MACs). */
#define DW8_PASS_ASM(G, RQLOAD, REQUANT, NARROW)                                                             \
  const uint8_t *r00, *r01, *r02, *r10, *r11, *r12, *r20, *r21, *r22, *r30, *r31, *r32, *r40, *r41, *r42;    \
  uint8_t *o1, *o2;                                                                                           \
  size_t c;                                                                                                   \
  __asm__ volatile(                                                                                           \
      "1:\n"                                                                                                  \
      "ldp %[r00], %[r01], [%[p]]\n"                                                                          \
      "ldp %[r02], %[r10], [%[p], #16]\n"                                                                     \
      "ldp %[r11], %[r12], [%[p], #32]\n"                                                                     \
      "ldp %[r20], %[r21], [%[p], #48]\n"                                                                     \
      "ldp %[r22], %[r30], [%[p], #64]\n"                                                                     \
      "ldp %[r31], %[r32], [%[p], #80]\n"                                                                     \
      "ldp %[r40], %[r41], [%[p], #96]\n"                                                                     \
      "ldr %[r42], [%[p], #112]\n"                                                                            \
      "add %[p], %[p], " DW8_ADVANCE_##G "\n"                                                                 \
      "add %[o1], %[o0], %[stride]\n"                                                                         \
      "add %[o2], %[o1], %[stride]\n"                                                                         \
      "mov x16, %[wb]\n"                                                                                      \
      "mov x17, %[nblocks]\n"                                                                                 \
      "mov %[c], #0\n"                                                                                        \
      "0:\n"                                                                                                  \
      /* bias into the pixels' accumulators, then the 9 weight registers */                                  \
      DW8_BIAS_##G                                                                                            \
      "ld1 {v0.16b-v3.16b}, [x16], #64\n"                                                                     \
      "ld1 {v4.16b-v7.16b}, [x16], #64\n"                                                                     \
      "ld1 {v8.16b}, [x16], #16\n"                                                                            \
      DW8_COLUMNS_##G                                                                                         \
      RQLOAD /* requantization data; x16 is then the next block */                                            \
      DW8_REQUANTS_##G(REQUANT, NARROW)                                                                       \
      "add %[c], %[c], #16\n"                                                                                 \
      "subs x17, x17, #1\n"                                                                                   \
      "b.ne 0b\n"                                                                                             \
      "add %[o0], %[" DW8_NEXT_OUT_##G "], %[stride]\n"                                                       \
      "subs %[np], %[np], #1\n"                                                                               \
      "b.ne 1b\n"                                                                                             \
      : [p] "+r"(ptrs), [np] "+r"(npass), [o0] "+r"(out), [c] "=&r"(c),                                      \
        [o1] "=&r"(o1), [o2] "=&r"(o2), [r00] "=&r"(r00), [r01] "=&r"(r01), [r02] "=&r"(r02),                 \
        [r10] "=&r"(r10), [r11] "=&r"(r11), [r12] "=&r"(r12), [r20] "=&r"(r20), [r21] "=&r"(r21),             \
        [r22] "=&r"(r22), [r30] "=&r"(r30), [r31] "=&r"(r31), [r32] "=&r"(r32), [r40] "=&r"(r40),             \
        [r41] "=&r"(r41), [r42] "=&r"(r42)                                                                    \
      : [wb] "r"(weights), [nblocks] "r"(nblocks), [stride] "r"(stride), [zp] "w"(o->zp),                    \
        [qmin] "w"(o->qmin16), [qmax] "w"(o->qmax16)                                                          \
      : "cc", "memory", "x16", "x17", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10",       \
        "v11", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27",    \
        "v28", "v29", "v30", "v31")

/* fp32 data: scale[16]; gemmlowp: multiplier[16], shift[16] (negated here for
 * srshl), then rounding[16] and pow[16], which these kernels skip */
#define DW8_RQLOAD_FP32 "ld1 {v0.4s-v3.4s}, [x16], #64\n"
#define DW8_RQLOAD_GEMMLOWP                                                         \
  "ld1 {v0.4s-v3.4s}, [x16], #64\n" "ld1 {v4.4s-v7.4s}, [x16], #64\n"             \
  "neg v4.4s, v4.4s\n" "neg v5.4s, v5.4s\n" "neg v6.4s, v6.4s\n" "neg v7.4s, v7.4s\n" \
  "add x16, x16, #128\n"

/* The asm variant for a geometry, requantization mode and clamp. */
#define DW8_PASS_VARIANTS(G)                                                  \
  if (mode == QK_DWCONV_FP32 && full_range) {                                 \
    DW8_PASS_ASM(G, DW8_RQLOAD_FP32, DW8_REQUANT_FP32, DW8_NARROW_FULL);      \
  } else if (mode == QK_DWCONV_FP32) {                                        \
    DW8_PASS_ASM(G, DW8_RQLOAD_FP32, DW8_REQUANT_FP32, DW8_NARROW_CLAMP);     \
  } else if (full_range) {                                                    \
    DW8_PASS_ASM(G, DW8_RQLOAD_GEMMLOWP, DW8_REQUANT_GEMMLOWP, DW8_NARROW_FULL); \
  } else {                                                                    \
    DW8_PASS_ASM(G, DW8_RQLOAD_GEMMLOWP, DW8_REQUANT_GEMMLOWP, DW8_NARROW_CLAMP); \
  }

QK_DW_ALWAYS_INLINE void dw8_passes(int S, int mode, int full_range, const uint8_t* const* ptrs, size_t npass,
                                    size_t nblocks, const uint8_t* weights, uint8_t* out, size_t stride,
                                    const qk_dw_neon_out* o) {
  /* the output constants are asm inputs: left out of the clobbers, they can
   * only live in v12-v14, and stay there across the passes of a row */
  if (S == 1) {
    DW8_PASS_VARIANTS(S1X3)
  } else {
    DW8_PASS_VARIANTS(S2X2)
  }
}

/* Passes per row pointer table: at most 16 * 12 + 3 = 195 pointers on the stack. */
#define DW8_CHUNK 16

/* ptrs[i] = qk_dwconv_tap(indirection[i], ...) for i < count, two 64-bit
 * entries per vector (1.75 instructions per entry in the main loop instead
 * of the 4 of ldr/add/cmn/csel). */
QK_DW_ALWAYS_INLINE void dw8_tap_pointers(const uint8_t** ptrs, const size_t* indirection, size_t count,
                                          const void* input, const void* zero) {
  const uint64x2_t base = vdupq_n_u64((uint64_t) (uintptr_t) input);
  const uint64x2_t zrow = vdupq_n_u64((uint64_t) (uintptr_t) zero);
  const uint64x2_t sentinel = vdupq_n_u64((uint64_t) QK_DWCONV_ZERO);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const uint64x2x4_t off = vld1q_u64_x4((const uint64_t*) indirection + i);
    uint64x2x4_t p;
    p.val[0] = vbslq_u64(vceqq_u64(off.val[0], sentinel), zrow, vaddq_u64(off.val[0], base));
    p.val[1] = vbslq_u64(vceqq_u64(off.val[1], sentinel), zrow, vaddq_u64(off.val[1], base));
    p.val[2] = vbslq_u64(vceqq_u64(off.val[2], sentinel), zrow, vaddq_u64(off.val[2], base));
    p.val[3] = vbslq_u64(vceqq_u64(off.val[3], sentinel), zrow, vaddq_u64(off.val[3], base));
    vst1q_u64_x4((uint64_t*) ptrs + i, p);
  }
  for (; i < count; i++) ptrs[i] = qk_dwconv_tap(indirection[i], input, zero);
}

/* A row of stride S (1: passes of 3 pixels, 2: of 2) through the assembly,
 * a chunk of passes at a time (their row pointers converted from the
 * indirection once, 3 per window column); the last < 16 channels of each
 * pass via a zeroed stack copy, as qk_dw8_pass; then the remaining pixels one
 * at a time. */
QK_DW_ALWAYS_INLINE void dw8_row(int S, int mode, int full_range, size_t channels, size_t output_width,
                                 const size_t* indirection, const void* input, const void* zero,
                                 const void* weights, void* output, size_t output_stride,
                                 const qk_dwconv_params* params) {
  const size_t P = S == 1 ? 3 : 2, adv = 3 * (size_t) S * P; /* pointer entries per pass */
  const size_t block = qk_dwconv_mul8_block_bytes(QK_DW8_CR, 9, mode);
  const size_t nfull = channels / QK_DW8_CR, n = channels % QK_DW8_CR;
  const qk_dw_neon_out o = qk_dw_neon_out_init(params);
  const size_t npass_row = output_width / P;
  uint8_t* out = (uint8_t*) output;
  for (size_t k0 = 0; k0 < npass_row; k0 += DW8_CHUNK) {
    const size_t npass = npass_row - k0 < DW8_CHUNK ? npass_row - k0 : DW8_CHUNK;
    const uint8_t* ptrs[12 * DW8_CHUNK + 3];
    dw8_tap_pointers(ptrs, indirection, adv * (npass - 1) + 15, input, zero);
    if (nfull != 0) dw8_passes(S, mode, full_range, ptrs, npass, nfull, (const uint8_t*) weights, out, output_stride, &o);
    for (size_t k = 0; n != 0 && k < npass; k++) {
      const size_t c = nfull * QK_DW8_CR;
      uint8_t buf[15 * QK_DW8_CR], tmp[3 * QK_DW8_CR];
      const uint8_t* br[15];
      memset(buf, 0, sizeof buf);
#pragma GCC unroll 15
      for (int i = 0; i < 15; i++) {
        memcpy(buf + i * QK_DW8_CR, ptrs[adv * k + i] + c, n);
        br[i] = buf + i * QK_DW8_CR;
      }
      dw8_passes(S, mode, full_range, br, 1, 1, (const uint8_t*) weights + nfull * block, tmp, QK_DW8_CR, &o);
      for (size_t p = 0; p < P; p++) memcpy(out + (P * k + p) * output_stride + c, tmp + p * QK_DW8_CR, n);
    }
    indirection += adv * npass;
    out += P * npass * output_stride;
  }
  qk_dw8_single(mode, channels, output_width - P * npass_row, indirection, 3 * (size_t) S, input, zero, weights,
                block, out, output_stride, &o);
}

/* other indirection steps (dilation, wider strides): one pixel at a time */
static QK_DW8_KERNEL(dw8_generic, 1, 1)

void qs8_dwconv_mul8_ukernel_up16x9x3__neon(size_t channels, size_t output_width, const size_t* indirection,
                                            size_t step, const void* input, const void* zero, const void* weights,
                                            void* output, size_t output_stride, const qk_dwconv_params* params) {
  /* stride, mode and clamp as constants, so each row function holds one asm variant */
  const int full_range = params->q.qmin == INT8_MIN && params->q.qmax == INT8_MAX;
  const int fp32 = params->mode == QK_DWCONV_FP32;
#define DW8_ROW(S, MODE, FULL) \
  dw8_row(S, MODE, FULL, channels, output_width, indirection, input, zero, weights, output, output_stride, params)
  if (step == 3 || step == 6) {
    const int S = step == 3 ? 1 : 2;
    if (S == 1 && fp32 && full_range) DW8_ROW(1, QK_DWCONV_FP32, 1);
    else if (S == 1 && fp32) DW8_ROW(1, QK_DWCONV_FP32, 0);
    else if (S == 1 && full_range) DW8_ROW(1, QK_DWCONV_GEMMLOWP, 1);
    else if (S == 1) DW8_ROW(1, QK_DWCONV_GEMMLOWP, 0);
    else if (fp32 && full_range) DW8_ROW(2, QK_DWCONV_FP32, 1);
    else if (fp32) DW8_ROW(2, QK_DWCONV_FP32, 0);
    else if (full_range) DW8_ROW(2, QK_DWCONV_GEMMLOWP, 1);
    else DW8_ROW(2, QK_DWCONV_GEMMLOWP, 0);
  } else {
    dw8_generic(channels, output_width, indirection, step, input, zero, weights, output, output_stride, params);
  }
#undef DW8_ROW
}
#else
typedef int qk_qs8_dwconv_mul8_up16x9x3_neon_is_aarch64_only; /* keeps the translation unit non-empty */
#endif
