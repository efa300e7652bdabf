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
 * Memory: a block of 4 outputs reads `span` floats from column x0*S - P of
 * each input row.  Interior blocks read the rows in place; a block that
 * would touch the left or right padding (or past the row end) first copies
 * the valid part of its rows into a zero-filled stack buffer, so nothing
 * outside the plane is ever read and padding costs no per-tap branches.
 * Rows in the vertical padding are skipped (no taps), like the scalar code. */
#ifndef QK_F32_CHW_DWCONV_SSE2_H
#define QK_F32_CHW_DWCONV_SSE2_H

#include <emmintrin.h>

#include "qkernels/chw.h"

/* Input lanes of one tap for 4 outputs starting at p. */
QK_INLINE __m128 qk_dw_tap_sse2(const float* p, size_t S) {
  if (S == 1) return _mm_loadu_ps(p);
  return _mm_shuffle_ps(_mm_loadu_ps(p), _mm_loadu_ps(p + 4), _MM_SHUFFLE(2, 0, 2, 0));
}

QK_INLINE void qk_dwconv2d_chw_sse2(const size_t K, const size_t S, const size_t P, size_t input_height,
                                    size_t input_width, size_t output_y_start, size_t output_y_end,
                                    const float* input, const float* weights, float* output,
                                    const qk_chw_params* params) {
  const size_t output_width = (input_width + 2 * P - K) / S + 1;
  /* floats read from a block's base column: taps kx = 0..K-1, 4 lanes at stride S
   * (stride 2 loads 8 floats per tap and keeps the even ones) */
  const size_t span = S == 1 ? K + 3 : K + 7;
  __m128 vw[25];
  for (size_t i = 0; i < K * K; i++) vw[i] = _mm_set1_ps(weights[1 + i]);
  const __m128 vbias = _mm_set1_ps(weights[0]);
  const __m128 vmin = _mm_set1_ps(params->min);
  const __m128 vmax = _mm_set1_ps(params->max);
  float edge[5 * 12]; /* K rows of span floats, K <= 5, span <= 12 */

  for (size_t y = output_y_start; y < output_y_end; y++) {
    const float* rows[5];
    for (size_t ky = 0; ky < K; ky++) {
      const size_t iy = y * S + ky; /* padded coordinate: input row iy - P */
      rows[ky] = iy >= P && iy - P < input_height ? input + (iy - P) * input_width : NULL;
    }
    float* out = output + y * output_width;
    for (size_t x0 = 0; x0 < output_width; x0 += 4) {
      const size_t n = output_width - x0 < 4 ? output_width - x0 : 4;
      const size_t col = x0 * S; /* padded coordinate of the block's first column */
      const float* base[5];
      if (col >= P && col - P + span <= input_width) {
        for (size_t ky = 0; ky < K; ky++) base[ky] = rows[ky] ? rows[ky] + (col - P) : NULL;
      } else {
        for (size_t ky = 0; ky < K; ky++) {
          base[ky] = NULL;
          if (!rows[ky]) continue;
          float* e = edge + ky * span;
          for (size_t t = 0; t < span; t++) {
            const size_t ix = col + t;
            e[t] = ix >= P && ix - P < input_width ? rows[ky][ix - P] : 0.0f;
          }
          base[ky] = e;
        }
      }
      __m128 acc = vbias;
#if defined(__GNUC__)
#pragma GCC unroll 5
#endif
      for (size_t ky = 0; ky < K; ky++) {
        if (!base[ky]) continue;
#if defined(__GNUC__)
#pragma GCC unroll 5
#endif
        for (size_t kx = 0; kx < K; kx++) {
          acc = _mm_add_ps(acc, _mm_mul_ps(qk_dw_tap_sse2(base[ky] + kx, S), vw[ky * K + kx]));
        }
      }
      /* operand order keeps a NaN accumulator NaN (see qk_chw_clamp) */
      acc = _mm_min_ps(vmax, _mm_max_ps(vmin, acc));
      if (n == 4) {
        _mm_storeu_ps(out + x0, acc);
      } else {
        float tmp[4];
        _mm_storeu_ps(tmp, acc);
        for (size_t i = 0; i < n; i++) out[x0 + i] = tmp[i];
      }
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
