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
 * Any other layout (step != 3: stride 2, dilation, small kernels padded to 9
 * taps) and the last 1-2 pixels of a row run the single-pixel path. */
#ifndef QKERNELS_DWCONV_NEON_X3_H
#define QKERNELS_DWCONV_NEON_X3_H

#include "qkernels/dwconv-neon.h"

/* Pixels per pass.  The code takes any P (window of P + 2 columns); under
 * QEMU cortex-a72 on 56x56x144 P = 4 counted 0.664 instructions/MAC against
 * 0.673 for P = 3 and 0.743 for P = 6 (register spills), so the 3x5 window
 * stays: a row remainder of up to P - 1 pixels runs the slower one-pixel path. */
#define QK_DW_P 3

/* 8 channels of P adjacent pixels; r[j*3 + y] is column j, kernel row y
 * (P + 2 columns).  Each pixel's accumulators start from the product of its
 * first tap (vmull) and get the bias at the end, instead of register copies
 * of the bias that the read-modify-write vmlal would force.  Pixel pairs
 * share one 16-byte narrow and clamp. */
QK_DW_ALWAYS_INLINE void qk_dw_neon_block8x3(int is_signed, int mode, const uint8_t* const* r, size_t c,
                                             const uint8_t* w, const qk_dw_neon_out* o, uint8_t* const* outs) {
  const int16_t* wt = (const int16_t*) (w + 32);
  int16x8_t k[9];
#pragma GCC unroll 9
  for (int t = 0; t < 9; t++) k[t] = vld1q_s16(wt + 8 * t);
  int32x4_t al[QK_DW_P], ah[QK_DW_P];
#pragma GCC unroll 8
  for (int j = 0; j < QK_DW_P + 2; j++) {
#pragma GCC unroll 3
    for (int y = 0; y < 3; y++) {
      const int16x8_t x = qk_dw_neon_load_x(r[j * 3 + y] + c, is_signed);
      /* column j is tap column j - p of pixel p */
#pragma GCC unroll 8
      for (int p = 0; p < QK_DW_P; p++) {
        if (j - p < 0 || j - p > 2) continue;
        const int t = (j - p) * 3 + y;
        if (t == 0) {
          al[p] = vmull_s16(vget_low_s16(x), vget_low_s16(k[0]));
          ah[p] = vmull_high_s16(x, k[0]);
        } else {
          qk_dw_neon_mla(&al[p], &ah[p], x, k[t]);
        }
      }
    }
  }
  const int32x4_t b_lo = vld1q_s32((const int32_t*) w);
  const int32x4_t b_hi = vld1q_s32((const int32_t*) w + 4);
  const qk_dw_neon_rq q = qk_dw_neon_rq_load(w + 32 + 9 * 16, mode);
#pragma GCC unroll 8
  for (int p = 0; p + 1 < QK_DW_P; p += 2) {
    const int16x8_t v0 = qk_dw_neon_requant_s16(vaddq_s32(al[p], b_lo), vaddq_s32(ah[p], b_hi), &q, o, mode);
    const int16x8_t v1 = qk_dw_neon_requant_s16(vaddq_s32(al[p + 1], b_lo), vaddq_s32(ah[p + 1], b_hi), &q, o, mode);
    const uint8x16_t q01 = qk_dw_neon_narrow16(v0, v1, o, is_signed);
    vst1_u8(outs[p] + c, vget_low_u8(q01));
    vst1_u8(outs[p + 1] + c, vget_high_u8(q01));
  }
  if (QK_DW_P % 2) {
    const int p = QK_DW_P - 1;
    vst1_u8(outs[p] + c, qk_dw_neon_requant8(vaddq_s32(al[p], b_lo), vaddq_s32(ah[p], b_hi), &q, o, is_signed, mode));
  }
}

QK_DW_ALWAYS_INLINE void qk_dwconv_neon_x3_mode(int is_signed, int mode, size_t channels, size_t output_width,
                                                const size_t* indirection, size_t step, const void* input,
                                                const void* zero, const void* weights, void* output,
                                                size_t output_stride, const qk_dwconv_params* params) {
  const size_t block = qk_dwconv_block_bytes(8, 9, 1, mode);
  const qk_dw_neon_out o = qk_dw_neon_out_init(params);
  uint8_t* out = (uint8_t*) output;
  size_t px = 0;
  if (step == 3) {
    for (; px + QK_DW_P <= output_width; px += QK_DW_P) {
      const uint8_t* r[3 * (QK_DW_P + 2)];
#pragma GCC unroll 24
      for (int i = 0; i < 3 * (QK_DW_P + 2); i++) r[i] = qk_dwconv_tap(indirection[i], input, zero);
      uint8_t* outs[QK_DW_P];
      for (int p = 0; p < QK_DW_P; p++) outs[p] = out + p * output_stride;
      const uint8_t* w = (const uint8_t*) weights;
      size_t c = 0;
      for (; c + 8 <= channels; c += 8, w += block) {
        qk_dw_neon_block8x3(is_signed, mode, r, c, w, &o, outs);
      }
      if (c < channels) {
        const size_t n = channels - c;
        uint8_t buf[3 * (QK_DW_P + 2) * 8], tmp[QK_DW_P][8];
        const uint8_t* br[3 * (QK_DW_P + 2)];
        uint8_t* touts[QK_DW_P];
        for (int p = 0; p < QK_DW_P; p++) touts[p] = tmp[p];
        qk_dw_neon_gather(3 * (QK_DW_P + 2), r, c, n, buf, br);
        qk_dw_neon_block8x3(is_signed, mode, br, 0, w, &o, touts);
        for (int p = 0; p < QK_DW_P; p++) memcpy(outs[p] + c, tmp[p], n);
      }
      indirection += 3 * QK_DW_P;
      out += QK_DW_P * output_stride;
    }
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
