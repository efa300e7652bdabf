/* NEON depthwise CHW convolution (armv7 and aarch64), shared by the four
 * dwconv*-neon.c files (each instantiates it with constant K, S, P).
 *
 * Same structure as dwconv-sse2.h: 4 adjacent output pixels of one row per
 * vector; rows up to ~120 floats are read from a ring of zero-padded row
 * copies on the stack (each input row copied once; no edge cases), wider
 * rows in place with zero-filled stack copies for the edge blocks.
 * Stride 1 taps are unaligned vld1q loads; at stride 2, vld2q de-interleaves
 * even and odd columns in one instruction, so tap kx (even) is
 * vld2q(p + kx).val[0] and tap kx (odd) is vld2q(p + kx - 1).val[1].
 *
 * Rounding: every lane adds bias, then w*x per tap in row-major order, with
 * a separate vmulq and vaddq, never vfmaq or vmlaq (fused on aarch64 compilers
 * that contract): the same two roundings per tap as the scalar twin, so the
 * results are bit-identical (armv7 NEON flushes denormals, see chw.h). */
#ifndef QK_F32_CHW_DWCONV_NEON_H
#define QK_F32_CHW_DWCONV_NEON_H

#include <arm_neon.h>

#include "qkernels/chw.h"

#define QK_DW_RING_FLOATS 128 /* floats per ring row (the padded row plus the last block's over-reach) */
#define QK_DW_MAX_K 5
#define QK_DW_MAX_SPAN 12     /* K + 7 for K = 5 at stride 2 */

/* Floats a block of 4 outputs reads from its base: taps kx = 0..K-1, 4 lanes
 * at stride S (vld2q reads 8 floats from p + kx or p + kx - 1). */
#define QK_DW_SPAN(K, S) ((S) == 1 ? (K) + 3 : (K) + 7)

QK_INLINE float32x4_t qk_dw_tap_neon(const float* p, size_t kx, size_t S) {
  if (S == 1) return vld1q_f32(p + kx);
  if (kx % 2 == 0) return vld2q_f32(p + kx).val[0];
  return vld2q_f32(p + kx - 1).val[1];
}

/* 4 outputs: bias + taps, rows base[ky] + off (NULL rows are padding), clamped. */
QK_INLINE float32x4_t qk_dw_block_neon(const size_t K, const size_t S, const float* const* base, size_t off,
                                       const float* w, float32x4_t vmin, float32x4_t vmax) {
  float32x4_t acc = vdupq_n_f32(w[0]);
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
      acc = vaddq_f32(acc, vmulq_n_f32(qk_dw_tap_neon(p, kx, S), w[1 + ky * K + kx]));
    }
  }
  /* vmax/vmin return NaN for a NaN lane, like qk_chw_clamp */
  return vminq_f32(vmaxq_f32(acc, vmin), vmax);
}

QK_INLINE void qk_dw_store_neon(float* out, float32x4_t v, size_t n) {
  if (n == 4) {
    vst1q_f32(out, v);
  } else {
    float tmp[4];
    vst1q_f32(tmp, v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[i];
  }
}

QK_INLINE void qk_dwconv2d_chw_neon(const size_t K, const size_t S, const size_t P, size_t input_height,
                                    size_t input_width, size_t output_y_start, size_t output_y_end,
                                    const float* input, const float* weights, float* output,
                                    const qk_chw_params* params) {
  const size_t output_width = (input_width + 2 * P - K) / S + 1;
  const size_t span = QK_DW_SPAN(K, S);
  const float32x4_t vmin = vdupq_n_f32(params->min);
  const float32x4_t vmax = vdupq_n_f32(params->max);
  /* Weights stay scalars: vmulq_n_f32 multiplies by a lane of a register, so
   * the compiler keeps them in s/d registers without 26 broadcasts. */
  float w[1 + QK_DW_MAX_K * QK_DW_MAX_K];
  for (size_t i = 0; i < 1 + K * K; i++) w[i] = weights[i];
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
        qk_dw_store_neon(out + x0, qk_dw_block_neon(K, S, base, x0 * S, w, vmin, vmax), n);
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
      float32x4_t v;
      if (col >= P && col - P + span <= input_width) {
        v = qk_dw_block_neon(K, S, rows, col - P, w, vmin, vmax);
      } else {
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
        v = qk_dw_block_neon(K, S, base, 0, w, vmin, vmax);
      }
      qk_dw_store_neon(out + x0, v, n);
    }
  }
}

#define QK_DWCONV2D_CHW_NEON(NAME, K, S, P)                                                                \
  void NAME(size_t input_height, size_t input_width, size_t output_y_start, size_t output_y_end,          \
            const float* input, const float* weights, float* output, const qk_chw_params* params) {       \
    qk_dwconv2d_chw_neon(K, S, P, input_height, input_width, output_y_start, output_y_end, input, weights, \
                         output, params);                                                                  \
  }

#endif
