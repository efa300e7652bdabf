/* AVX2-level depthwise CHW convolution, shared by the four dwconv*-avx2.c
 * files (each instantiates it with constant K, S, P).
 *
 * The SSE2 design (dwconv-sse2.h) at twice the width: 8 adjacent output
 * pixels of one row per ymm.  Stride 1 taps are unaligned loads; at stride 2
 * the even floats of 16 come from one in-lane shufps of two loads followed
 * by a cross-lane vpermpd (AVX2) that puts the four 64-bit pairs in order.
 * Multiply and add stay separate (no vfmadd): each lane adds bias, then w*x
 * per tap in row-major order with the scalar twin's roundings, so the
 * results are bit-identical to it.
 *
 * Memory: same two paths as SSE2 — rows whose padded copy (plus the last
 * block's over-reach) fits 128 floats go through a ring of zero-padded row
 * copies on the stack; wider rows are read in place with zero-filled stack
 * copies for the blocks that touch the padding or the row end. */
#ifndef QK_F32_CHW_DWCONV_AVX2_H
#define QK_F32_CHW_DWCONV_AVX2_H

#include <immintrin.h>

#include "qkernels/chw.h"

#define QK_DW8_RING_FLOATS 128
#define QK_DW8_MAX_K 5
#define QK_DW8_MAX_SPAN 20 /* K + 15 for K = 5 at stride 2 */

/* Floats a block of 8 outputs reads from its base (stride 2: 16 per tap). */
#define QK_DW8_SPAN(K, S) ((S) == 1 ? (K) + 7 : (K) + 15)

QK_INLINE __m256 qk_dw_tap_avx2(const float* p, size_t S) {
  if (S == 1) return _mm256_loadu_ps(p);
  /* [p0 p2 p8 p10 | p4 p6 p12 p14] -> 64-bit pairs 0,2,1,3 -> p0 p2 p4 ... p14 */
  const __m256 e = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
}

QK_INLINE __m256 qk_dw_block_avx2(const size_t K, const size_t S, const float* const* base, size_t off,
                                  const float* w, __m256 vmin, __m256 vmax) {
  __m256 acc = _mm256_set1_ps(w[0]);
#if defined(__GNUC__)
#pragma GCC unroll 5
#endif
  for (size_t ky = 0; ky < K; ky++) {
    if (!base[ky]) continue;
    const float* p = base[ky] + off;
#if defined(__GNUC__)
#pragma GCC unroll 5
#endif
    for (size_t kx = 0; kx < K; kx++) {
      acc = _mm256_add_ps(acc, _mm256_mul_ps(qk_dw_tap_avx2(p + kx, S), _mm256_broadcast_ss(w + 1 + ky * K + kx)));
    }
  }
  /* operand order keeps a NaN accumulator NaN (see qk_chw_clamp) */
  return _mm256_min_ps(vmax, _mm256_max_ps(vmin, acc));
}

QK_INLINE void qk_dw_store_avx2(float* out, __m256 v, size_t n) {
  if (n == 8) {
    _mm256_storeu_ps(out, v);
  } else {
    float tmp[8];
    _mm256_storeu_ps(tmp, v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[i];
  }
}

QK_INLINE void qk_dwconv2d_chw_avx2(const size_t K, const size_t S, const size_t P, size_t input_height,
                                    size_t input_width, size_t output_y_start, size_t output_y_end,
                                    const float* input, const float* weights, float* output,
                                    const qk_chw_params* params) {
  const size_t output_width = (input_width + 2 * P - K) / S + 1;
  const size_t span = QK_DW8_SPAN(K, S);
  /* weights as broadcast memory operands: vbroadcastss is a plain load */
  float w[1 + QK_DW8_MAX_K * QK_DW8_MAX_K];
  for (size_t i = 0; i < 1 + K * K; i++) w[i] = weights[i];
  const __m256 vmin = _mm256_set1_ps(params->min);
  const __m256 vmax = _mm256_set1_ps(params->max);
  const size_t row_need = (output_width - 1) / 8 * 8 * S + span;

  if (row_need <= QK_DW8_RING_FLOATS) {
    float ring[QK_DW8_MAX_K][QK_DW8_RING_FLOATS];
    size_t tag[QK_DW8_MAX_K];
    for (size_t i = 0; i < K; i++) tag[i] = (size_t) -1;
    for (size_t y = output_y_start; y < output_y_end; y++) {
      const float* base[QK_DW8_MAX_K];
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
      for (size_t x0 = 0; x0 < output_width; x0 += 8) {
        const size_t n = output_width - x0 < 8 ? output_width - x0 : 8;
        qk_dw_store_avx2(out + x0, qk_dw_block_avx2(K, S, base, x0 * S, w, vmin, vmax), n);
      }
    }
    return;
  }

  float edge[QK_DW8_MAX_K][QK_DW8_MAX_SPAN];
  for (size_t y = output_y_start; y < output_y_end; y++) {
    const float* rows[QK_DW8_MAX_K];
    for (size_t ky = 0; ky < K; ky++) {
      const size_t r = y * S + ky;
      rows[ky] = r >= P && r - P < input_height ? input + (r - P) * input_width : NULL;
    }
    float* out = output + y * output_width;
    for (size_t x0 = 0; x0 < output_width; x0 += 8) {
      const size_t n = output_width - x0 < 8 ? output_width - x0 : 8;
      const size_t col = x0 * S; /* padded column of the block's base */
      __m256 v;
      if (col >= P && col - P + span <= input_width) {
        v = qk_dw_block_avx2(K, S, rows, col - P, w, vmin, vmax);
      } else {
        const size_t lo = col < P ? P - col : 0;
        const size_t hi = input_width + P - col < span ? input_width + P - col : span;
        const float* base[QK_DW8_MAX_K];
        for (size_t ky = 0; ky < K; ky++) {
          base[ky] = NULL;
          if (!rows[ky]) continue;
          memset(edge[ky], 0, sizeof edge[ky]);
          memcpy(edge[ky] + lo, rows[ky] + (col + lo - P), (hi - lo) * sizeof(float));
          base[ky] = edge[ky];
        }
        v = qk_dw_block_avx2(K, S, base, 0, w, vmin, vmax);
      }
      qk_dw_store_avx2(out + x0, v, n);
    }
  }
}

#define QK_DWCONV2D_CHW_AVX2(NAME, K, S, P)                                                                \
  void NAME(size_t input_height, size_t input_width, size_t output_y_start, size_t output_y_end,          \
            const float* input, const float* weights, float* output, const qk_chw_params* params) {       \
    qk_dwconv2d_chw_avx2(K, S, P, input_height, input_width, output_y_start, output_y_end, input, weights, \
                         output, params);                                                                  \
  }

#endif
