/* Depthwise 3x3 stride-1, three output pixels per pass, aarch64 NEON
 * (included only by the up8x9x3-neon.c files, compiled for aarch64).
 *
 * Why: with stride 1 the compact indirection row (dwconv.h) lists the input
 * columns once, so output pixels ox, ox+1, ox+2 together read a 3x5 window of
 * 15 rows instead of 27.  Each 8-channel block loads its 9 int16 weights and
 * the 15 inputs once and issues the 54 vmlal pairs of the three pixels from
 * registers: 15 input loads+widens and 9 weight loads per 216 MACs, against
 * 27 and 27 for three single-pixel passes.  aarch64 has the 32 vector
 * registers this needs (6 accumulators, 9 weights, inputs in flight); armv7
 * (16 q registers) keeps the single-pixel kernel.
 *
 * Stride 2 shares one column between neighbours: 3 pixels per pass read a
 * 3x7 window (21 rows instead of 27) and load the weights once.
 * Any other layout (dilation, small kernels padded to 9 taps, stride > 2)
 * and the last pixels of a row run the single-pixel path. */
#ifndef QKERNELS_DWCONV_NEON_X3_H
#define QKERNELS_DWCONV_NEON_X3_H

#include "qkernels/dwconv-neon.h"

/* P pixels of stride S read 3 * (S * (P - 1) + 3) rows: columns j of the
 * compact row, pixel p using columns S*p .. S*p + 2. */
#define QK_DW_COLS(P, S) ((S) * ((P) - 1) + 3)

/* 8 channels of P adjacent output pixels of stride S; r[j*3 + y] is window
 * column j, kernel row y.  Each pixel's accumulators are loaded with the
 * bias right before its first tap (a load instead of the register copies
 * the read-modify-write vmlal would otherwise force).  Pixel pairs share one
 * 16-byte narrow and clamp.  P and S are constants after
 * inlining, so every loop below unrolls completely. */
QK_DW_ALWAYS_INLINE void qk_dw_neon_block8xp(int P, int S, int is_signed, int mode, const uint8_t* const* r,
                                             size_t c, const uint8_t* w, const qk_dw_neon_out* o,
                                             uint8_t* const* outs) {
  const int16_t* wt = (const int16_t*) (w + 32);
  int16x8_t k[9];
#pragma GCC unroll 9
  for (int t = 0; t < 9; t++) k[t] = vld1q_s16(wt + 8 * t);
  int32x4_t al[4], ah[4];
#pragma GCC unroll 12
  for (int j = 0; j < QK_DW_COLS(P, S); j++) {
#pragma GCC unroll 3
    for (int y = 0; y < 3; y++) {
      const int16x8_t x = qk_dw_neon_load_x(r[j * 3 + y] + c, is_signed);
      /* column j is tap column j - S*p of pixel p */
#pragma GCC unroll 4
      for (int p = 0; p < P; p++) {
        const int kx = j - S * p;
        if (kx < 0 || kx > 2) continue;
        const int t = kx * 3 + y;
        if (t == 0) {
          /* a fresh copy of the bias per pixel: one load, no register moves */
          al[p] = vld1q_s32((const int32_t*) w);
          ah[p] = vld1q_s32((const int32_t*) w + 4);
        }
        qk_dw_neon_mla(&al[p], &ah[p], x, k[t]);
      }
    }
  }
  const qk_dw_neon_rq q = qk_dw_neon_rq_load(w + 32 + 9 * 16, mode);
#pragma GCC unroll 4
  for (int p = 0; p + 1 < P; p += 2) {
    const int16x8_t v0 = qk_dw_neon_requant_s16(al[p], ah[p], &q, o, mode);
    const int16x8_t v1 = qk_dw_neon_requant_s16(al[p + 1], ah[p + 1], &q, o, mode);
    const uint8x16_t q01 = qk_dw_neon_narrow16(v0, v1, o, is_signed);
    vst1_u8(outs[p] + c, vget_low_u8(q01));
    vst1_u8(outs[p + 1] + c, vget_high_u8(q01));
  }
  if (P % 2) {
    const int p = P - 1;
    vst1_u8(outs[p] + c, qk_dw_neon_requant8(al[p], ah[p], &q, o, is_signed, mode));
  }
}

/* Pixels [px, end) of the row in passes of P; returns where it stopped. */
QK_DW_ALWAYS_INLINE size_t qk_dw_neon_row_xp(int P, int S, int is_signed, int mode, size_t channels,
                                             size_t output_width, const size_t** indirection, const void* input,
                                             const void* zero, const void* weights, size_t block, uint8_t** out,
                                             size_t output_stride, const qk_dw_neon_out* o) {
  enum { MAXR = 3 * QK_DW_COLS(4, 2) };
  const int nr = 3 * QK_DW_COLS(P, S);
  size_t px = 0;
  for (; px + P <= output_width; px += P) {
    const uint8_t* r[MAXR];
#pragma GCC unroll 27
    for (int i = 0; i < nr; i++) r[i] = qk_dwconv_tap((*indirection)[i], input, zero);
    uint8_t* outs[4];
    for (int p = 0; p < P; p++) outs[p] = *out + p * output_stride;
    const uint8_t* w = (const uint8_t*) weights;
    size_t c = 0;
    for (; c + 8 <= channels; c += 8, w += block) {
      qk_dw_neon_block8xp(P, S, is_signed, mode, r, c, w, o, outs);
    }
    if (c < channels) {
      const size_t n = channels - c;
      uint8_t buf[MAXR * 8], tmp[4][8];
      const uint8_t* br[MAXR];
      uint8_t* touts[4] = {tmp[0], tmp[1], tmp[2], tmp[3]};
      qk_dw_neon_gather((size_t) nr, r, c, n, buf, br);
      qk_dw_neon_block8xp(P, S, is_signed, mode, br, 0, w, o, touts);
      for (int p = 0; p < P; p++) memcpy(outs[p] + c, tmp[p], n);
    }
    *indirection += 3 * S * P;
    *out += P * output_stride;
  }
  return px;
}

/* Pixels per pass: stride 1 takes 3 (the 3x5 window); under QEMU
 * cortex-a72 on 56x56x144 P = 4 counted 0.664 instructions/MAC against
 * 0.673 for P = 3 and 0.743 for P = 6 (register spills), not worth a wider
 * remainder.  Stride 2 also takes 3 (a 3x7 window; counted 0.736 per MAC in the
 * block against 0.764 for 2 pixels and 0.740 for 4). */
QK_DW_ALWAYS_INLINE void qk_dwconv_neon_x3_mode(int is_signed, int mode, size_t channels, size_t output_width,
                                                const size_t* indirection, size_t step, const void* input,
                                                const void* zero, const void* weights, void* output,
                                                size_t output_stride, const qk_dwconv_params* params) {
  const size_t block = qk_dwconv_block_bytes(8, 9, 1, mode);
  const qk_dw_neon_out o = qk_dw_neon_out_init(params);
  uint8_t* out = (uint8_t*) output;
  size_t px = 0;
  if (step == 3) {
    px = qk_dw_neon_row_xp(3, 1, is_signed, mode, channels, output_width, &indirection, input, zero, weights, block,
                           &out, output_stride, &o);
  } else if (step == 6) {
    px = qk_dw_neon_row_xp(3, 2, is_signed, mode, channels, output_width, &indirection, input, zero, weights, block,
                           &out, output_stride, &o);
  }
  for (; px < output_width; px++) {
    const uint8_t* rows[9];
#pragma GCC unroll 9
    for (size_t t = 0; t < 9; t++) rows[t] = qk_dwconv_tap(indirection[t], input, zero);
    qk_dw_neon_pixel(9, is_signed, mode, channels, rows, (const uint8_t*) weights, block, out, &o);
    indirection += step;
    out += output_stride;
  }
}

QK_DW_ALWAYS_INLINE void qk_dwconv_neon_x3(int is_signed, size_t channels, size_t output_width,
                                           const size_t* indirection, size_t step, const void* input,
                                           const void* zero, const void* weights, void* output,
                                           size_t output_stride, const qk_dwconv_params* params) {
  if (params->mode == QK_DWCONV_FP32) {
    qk_dwconv_neon_x3_mode(is_signed, QK_DWCONV_FP32, channels, output_width, indirection, step, input, zero,
                           weights, output, output_stride, params);
  } else {
    qk_dwconv_neon_x3_mode(is_signed, QK_DWCONV_GEMMLOWP, channels, output_width, indirection, step, input, zero,
                           weights, output, output_stride, params);
  }
}

#endif
