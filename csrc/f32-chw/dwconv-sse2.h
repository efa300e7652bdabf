/* SSE2 depthwise CHW convolution, shared by the four dwconv*-sse2.c files
 * (each instantiates it with constant K, S, P; the compiler unrolls the tap
 * loops for that shape).
 *
 * Approach: 4 adjacent output pixels of one row per vector.  The input
 * vector of tap (ky, kx) is a plain unaligned load at stride 1, and the even
 * lanes of two unaligned loads (one shufps) at stride 2, so no shuffle
 * network has to carry state between blocks.  Each lane accumulates bias,
 * then w*x per tap in row-major order: the scalar twin's exact order (SSE
 * has no FMA, so the rounding matches too).
 *
 * Memory and padding: a block of 4 outputs reads `span` floats from its base
 * column x0*S (in padded coordinates) of each input row.
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
#ifndef QK_F32_CHW_DWCONV_SSE2_H
#define QK_F32_CHW_DWCONV_SSE2_H

#include <emmintrin.h>

#include "qkernels/chw.h"

#define QK_DW_RING_FLOATS 128 /* floats per ring row (the padded row plus the last block's over-reach) */
#define QK_DW_MAX_K 5
#define QK_DW_MAX_SPAN 12     /* K + 7 for K = 5 at stride 2 */

/* Floats a block of 4 outputs reads from its base: taps kx = 0..K-1, 4 lanes
 * at stride S (stride 2 loads 8 floats per tap and keeps the even ones). */
#define QK_DW_SPAN(K, S) ((S) == 1 ? (K) + 3 : (K) + 7)

/* Input lanes of one tap for 4 outputs starting at p. */
QK_INLINE __m128 qk_dw_tap_sse2(const float* p, size_t S) {
  if (S == 1) return _mm_loadu_ps(p);
  return _mm_shuffle_ps(_mm_loadu_ps(p), _mm_loadu_ps(p + 4), _MM_SHUFFLE(2, 0, 2, 0));
}

/* 4 outputs: bias + taps, rows base[ky] + off (NULL rows are padding), clamped. */
QK_INLINE __m128 qk_dw_block_sse2(const size_t K, const size_t S, const float* const* base, size_t off,
                                  const __m128* vw, __m128 vbias, __m128 vmin, __m128 vmax) {
  __m128 acc = vbias;
#if defined(__GNUC__)
#pragma GCC unroll 5
#endif
  for (size_t ky = 0; ky < K; ky++) {
    if (!base[ky]) continue;
    const float* p = base[ky] + off;
#if defined(__GNUC__)
#pragma GCC unroll 5
#endif
    for (size_t kx = 0; kx < K; kx++) acc = _mm_add_ps(acc, _mm_mul_ps(qk_dw_tap_sse2(p + kx, S), vw[ky * K + kx]));
  }
  /* operand order keeps a NaN accumulator NaN (see qk_chw_clamp) */
  return _mm_min_ps(vmax, _mm_max_ps(vmin, acc));
}

QK_INLINE void qk_dw_store_sse2(float* out, __m128 v, size_t n) {
  if (n == 4) {
    _mm_storeu_ps(out, v);
  } else {
    float tmp[4];
    _mm_storeu_ps(tmp, v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[i];
  }
}

QK_INLINE void qk_dwconv2d_chw_sse2(const size_t K, const size_t S, const size_t P, size_t input_height,
                                    size_t input_width, size_t output_y_start, size_t output_y_end,
                                    const float* input, const float* weights, float* output,
                                    const qk_chw_params* params) {
  const size_t output_width = (input_width + 2 * P - K) / S + 1;
  const size_t span = QK_DW_SPAN(K, S);
  __m128 vw[QK_DW_MAX_K * QK_DW_MAX_K];
  for (size_t i = 0; i < K * K; i++) vw[i] = _mm_set1_ps(weights[1 + i]);
  const __m128 vbias = _mm_set1_ps(weights[0]);
  const __m128 vmin = _mm_set1_ps(params->min);
  const __m128 vmax = _mm_set1_ps(params->max);
  /* padded-row floats the last block reaches */
  const size_t row_need = (output_width - 1) / 4 * 4 * S + span;

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
      for (size_t x0 = 0; x0 < output_width; x0 += 4) {
        const size_t n = output_width - x0 < 4 ? output_width - x0 : 4;
        qk_dw_store_sse2(out + x0, qk_dw_block_sse2(K, S, base, x0 * S, vw, vbias, vmin, vmax), n);
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
    for (size_t x0 = 0; x0 < output_width; x0 += 4) {
      const size_t n = output_width - x0 < 4 ? output_width - x0 : 4;
      const size_t col = x0 * S; /* padded column of the block's base */
      __m128 v;
      if (col >= P && col - P + span <= input_width) {
        v = qk_dw_block_sse2(K, S, rows, col - P, vw, vbias, vmin, vmax);
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
        v = qk_dw_block_sse2(K, S, base, 0, vw, vbias, vmin, vmax);
      }
      qk_dw_store_sse2(out + x0, v, n);
    }
  }
}

#define QK_DWCONV2D_CHW_SSE2(NAME, K, S, P)                                                                \
  void NAME(size_t input_height, size_t input_width, size_t output_y_start, size_t output_y_end,          \
            const float* input, const float* weights, float* output, const qk_chw_params* params) {       \
    qk_dwconv2d_chw_sse2(K, S, P, input_height, input_width, output_y_start, output_y_end, input, weights, \
                         output, params);                                                                  \
  }

#endif
