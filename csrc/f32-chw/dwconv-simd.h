/* SIMD depthwise CHW convolution, the ISA-independent part: row and block
 * loops, padding, tails.  dwconv-sse2.h, dwconv-avx2.h and dwconv-neon.h
 * include it after their vector ops (vec-<isa>.h, see vec.h) and these
 * depthwise primitives:
 *   qk_dw_w                     how a weight is held in the loops
 *   qk_dw_w qk_dw_weight(float) its value from one float of `weights`
 *   qk_vec qk_dw_bias(const qk_dw_w* w)   every lane = the bias w[0]
 *   qk_dw_tap(p, kx, S)         input lanes of tap kx for the QK_VEC_LANES
 *                               outputs whose taps kx = 0 start at p
 *   qk_dw_mul_add(acc, x, w)    acc + x * (*w), rounded twice (never fused)
 *
 * Approach: QK_VEC_LANES adjacent output pixels of one row per vector.
 * Each lane accumulates bias, then w*x per tap in row-major order with a
 * separate multiply and add: the scalar twin's exact order and roundings,
 * so the results are bit-identical to it.
 *
 * Memory and padding: a block reads `span` floats from its base column x0*S
 * (in padded coordinates) of each input row.
 *  - Rows up to ~120 floats (every MobileNet plane): each input row the band
 *    needs is copied once into a ring of K zero-padded rows on the stack
 *    (row r lives in slot r % K; the K rows of one output row are K
 *    consecutive r, so they never collide).  Blocks then read only the ring:
 *    no edge cases, nothing read outside the plane, and the copy costs one
 *    pass over the input against K*K/S^2 multiply-adds per input float.
 *    Small planes (7x7, 14x14), where every block touches the padding,
 *    gain the most.
 *  - Wider rows: interior blocks read the plane in place; a block touching
 *    the padding or the row end copies the valid part of its rows into a
 *    zero-filled stack buffer first.
 * Rows in the vertical padding are skipped (no taps), like the scalar code. */
#ifndef QK_F32_CHW_DWCONV_SIMD_H
#define QK_F32_CHW_DWCONV_SIMD_H

#include <string.h>

#include "dwconv.h"

#define QK_DW_RING_FLOATS 128 /* floats per ring row (the padded row plus the last block's over-reach) */
#define QK_DW_MAX_K 5
/* Floats a block reads from its base: taps kx = 0..K-1, QK_VEC_LANES lanes
 * at stride S (stride-2 taps load 2*QK_VEC_LANES floats and keep the even ones). */
#define QK_DW_SPAN(K, S) ((K) + (S) * QK_VEC_LANES - 1)
#define QK_DW_MAX_SPAN QK_DW_SPAN(QK_DW_MAX_K, 2)

/* One block: bias + taps, rows base[ky] + off (NULL rows are padding), clamped. */
QK_INLINE qk_vec qk_dw_block(const size_t K, const size_t S, const float* const* base, size_t off,
                             const qk_dw_w* w, qk_vec vmin, qk_vec vmax) {
  qk_vec acc = qk_dw_bias(w);
#if defined(__GNUC__)
#pragma GCC unroll 5
#endif
  for (size_t ky = 0; ky < K; ky++) {
    if (!base[ky]) continue;
    const float* p = base[ky] + off;
#if defined(__GNUC__)
#pragma GCC unroll 5
#endif
    for (size_t kx = 0; kx < K; kx++) acc = qk_dw_mul_add(acc, qk_dw_tap(p, kx, S), w + 1 + ky * K + kx);
  }
  return qk_vec_clamp(acc, vmin, vmax);
}

QK_INLINE void qk_dwconv2d_chw_simd(const size_t K, const size_t S, const size_t P, size_t input_height,
                                    size_t input_width, size_t output_y_start, size_t output_y_end,
                                    const float* input, const float* weights, float* output,
                                    const qk_chw_params* params) {
  const size_t L = QK_VEC_LANES;
  const size_t output_width = (input_width + 2 * P - K) / S + 1;
  const size_t span = QK_DW_SPAN(K, S);
  const qk_vec vmin = qk_vec_dup(params->min);
  const qk_vec vmax = qk_vec_dup(params->max);
  qk_dw_w w[1 + QK_DW_MAX_K * QK_DW_MAX_K];
  for (size_t i = 0; i < 1 + K * K; i++) w[i] = qk_dw_weight(weights[i]);
  /* padded-row floats the last block reaches */
  const size_t row_need = (output_width - 1) / L * L * S + span;

  if (row_need <= QK_DW_RING_FLOATS) {
    float ring[QK_DW_MAX_K][QK_DW_RING_FLOATS];
    size_t tag[QK_DW_MAX_K];
    for (size_t i = 0; i < K; i++) tag[i] = (size_t) -1;
    for (size_t y = output_y_start; y < output_y_end; y++) {
      const float* base[QK_DW_MAX_K];
      for (size_t ky = 0; ky < K; ky++) {
        const size_t r = y * S + ky; /* padded row; input row r - P */
        base[ky] = NULL;
        if (r < P || r - P >= input_height) continue;
        float* slot = ring[r % K];
        if (tag[r % K] != r) {
          memset(slot, 0, P * sizeof(float));
          memcpy(slot + P, input + (r - P) * input_width, input_width * sizeof(float));
          if (row_need > P + input_width) memset(slot + P + input_width, 0, (row_need - P - input_width) * sizeof(float));
          tag[r % K] = r;
        }
        base[ky] = slot;
      }
      float* out = output + y * output_width;
      for (size_t x0 = 0; x0 < output_width; x0 += L) {
        const size_t n = output_width - x0 < L ? output_width - x0 : L;
        qk_vec_store_n(out + x0, qk_dw_block(K, S, base, x0 * S, w, vmin, vmax), n);
      }
    }
    return;
  }

  float edge[QK_DW_MAX_K][QK_DW_MAX_SPAN];
  for (size_t y = output_y_start; y < output_y_end; y++) {
    const float* rows[QK_DW_MAX_K];
    for (size_t ky = 0; ky < K; ky++) {
      const size_t r = y * S + ky;
      rows[ky] = r >= P && r - P < input_height ? input + (r - P) * input_width : NULL;
    }
    float* out = output + y * output_width;
    for (size_t x0 = 0; x0 < output_width; x0 += L) {
      const size_t n = output_width - x0 < L ? output_width - x0 : L;
      const size_t col = x0 * S; /* padded column of the block's base */
      qk_vec v;
      if (col >= P && col - P + span <= input_width) {
        v = qk_dw_block(K, S, rows, col - P, w, vmin, vmax);
      } else {
        /* valid input columns of the block: padded [lo, hi) of [col, col + span) */
        const size_t lo = col < P ? P - col : 0;
        const size_t hi = input_width + P - col < span ? input_width + P - col : span;
        const float* base[QK_DW_MAX_K];
        for (size_t ky = 0; ky < K; ky++) {
          base[ky] = NULL;
          if (!rows[ky]) continue;
          memset(edge[ky], 0, sizeof edge[ky]);
          memcpy(edge[ky] + lo, rows[ky] + (col + lo - P), (hi - lo) * sizeof(float));
          base[ky] = edge[ky];
        }
        v = qk_dw_block(K, S, base, 0, w, vmin, vmax);
      }
      qk_vec_store_n(out + x0, v, n);
    }
  }
}

#define QK_DWCONV2D_CHW_SIMD(NAME, K, S, P) QK_DWCONV2D_CHW_DEFINE(NAME, qk_dwconv2d_chw_simd, K, S, P)

#endif
