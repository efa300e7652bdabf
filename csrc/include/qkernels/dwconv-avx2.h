/* Depthwise up16xT body for AVX2 (included only by files compiled with -mavx2).
 *
 * Same pmaddwd-on-tap-pairs scheme as dwconv-sse.h, 16 channels per block:
 * the bytes of two tap rows are interleaved in 128-bit registers
 * (punpcklbw/punpckhbw -> channels 0-7 / 8-15 as [x_a, x_b] pairs), then
 * widened to 256 bits with vpmovsxbw/vpmovzxbw, which keeps the channels in
 * order, so each vpmaddwd yields 8 consecutive channels' 2-tap sums: 16
 * exact MACs per instruction and no lane fix-up before requantization.
 * 16 channels per step halves the per-block overhead of the 8-wide SSE
 * kernel; the layers this targets have C a multiple of 16.
 *
 * Tails (< 16 channels) go through a zeroed stack copy of exactly the
 * remaining bytes of each row; only the remaining outputs are stored. */
#ifndef QKERNELS_DWCONV_AVX2_H
#define QKERNELS_DWCONV_AVX2_H

#include <immintrin.h>

#include "qkernels/dwconv.h"

#define QK_DW_ALWAYS_INLINE static inline __attribute__((always_inline))

/* gemmlowp on 8 lanes with per-lane multiplier, rounding and shift
 * (|acc| formulation of requant/gemmlowp-sse41.c; vpsrlvd does the per-lane
 * rounding right shift). */
QK_DW_ALWAYS_INLINE __m256i qk_dw_avx2_gemmlowp8(__m256i x, const int32_t* r, size_t cr) {
  const __m256i vmult = _mm256_loadu_si256((const __m256i*) r);
  const __m256i vshift = _mm256_loadu_si256((const __m256i*) (r + cr));
  const __m256i vround32 = _mm256_loadu_si256((const __m256i*) (r + 2 * cr));
  const __m256i vround64 = _mm256_set1_epi64x(INT64_C(1) << 30);
  const __m256i ax = _mm256_abs_epi32(x);
  const __m256i neg = _mm256_srai_epi32(x, 31);
  const __m256i round_even = _mm256_add_epi64(vround64, _mm256_shuffle_epi32(neg, _MM_SHUFFLE(2, 2, 0, 0)));
  const __m256i round_odd = _mm256_add_epi64(vround64, _mm256_shuffle_epi32(neg, _MM_SHUFFLE(3, 3, 1, 1)));
  const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epu32(ax, vmult), round_even), 31);
  const __m256i odd = _mm256_srli_epi64(
      _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(ax, 32), _mm256_srli_epi64(vmult, 32)), round_odd), 31);
  const __m256i u = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  return _mm256_sign_epi32(_mm256_srlv_epi32(_mm256_add_epi32(u, vround32), vshift), x);
}

QK_DW_ALWAYS_INLINE __m256i qk_dw_avx2_widen(__m128i v, int is_signed) {
  return is_signed ? _mm256_cvtepi8_epi16(v) : _mm256_cvtepu8_epi16(v);
}

/* One block of 16 channels of one pixel: rows[t] + c are the tap rows. */
QK_DW_ALWAYS_INLINE void qk_dw_avx2_block16(size_t taps, int is_signed, const uint8_t* const* rows, size_t c,
                                            const uint8_t* w, uint8_t* out, const qk_dwconv_params* params) {
  __m256i acc0 = _mm256_loadu_si256((const __m256i*) w);
  __m256i acc1 = _mm256_loadu_si256((const __m256i*) (w + 32));
  const __m256i* wp = (const __m256i*) (w + 64);
  for (size_t p = 0; p < (taps + 1) / 2; p++) {
    const __m128i xa = _mm_loadu_si128((const __m128i*) (rows[2 * p] + c));
    const __m128i xb = _mm_loadu_si128((const __m128i*) (rows[2 * p + 1] + c));
    const __m256i lo = qk_dw_avx2_widen(_mm_unpacklo_epi8(xa, xb), is_signed);
    const __m256i hi = qk_dw_avx2_widen(_mm_unpackhi_epi8(xa, xb), is_signed);
    acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(lo, _mm256_loadu_si256(wp + 2 * p)));
    acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(hi, _mm256_loadu_si256(wp + 2 * p + 1)));
  }
  const uint8_t* rq = w + 64 + ((taps + 1) / 2) * 64;
  __m256i y0, y1;
  if (params->mode == QK_DWCONV_FP32) {
    const __m256 vmin = _mm256_set1_ps(params->q.fmin), vmax = _mm256_set1_ps(params->q.fmax);
    __m256 f0 = _mm256_mul_ps(_mm256_cvtepi32_ps(acc0), _mm256_loadu_ps((const float*) rq));
    __m256 f1 = _mm256_mul_ps(_mm256_cvtepi32_ps(acc1), _mm256_loadu_ps((const float*) rq + 8));
    /* clamp first (values stay small), then round half to even */
    y0 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(f0, vmin), vmax));
    y1 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(f1, vmin), vmax));
  } else {
    y0 = qk_dw_avx2_gemmlowp8(acc0, (const int32_t*) rq, 16);
    y1 = qk_dw_avx2_gemmlowp8(acc1, (const int32_t*) rq + 8, 16);
  }
  /* packs works per 128-bit lane: [y0 0-3, y1 0-3 | y0 4-7, y1 4-7]; the
   * 64-bit permute restores channel order 0..15 */
  __m256i v = _mm256_permute4x64_epi64(_mm256_packs_epi32(y0, y1), _MM_SHUFFLE(3, 1, 2, 0));
  v = _mm256_adds_epi16(v, _mm256_set1_epi16((int16_t) params->q.zero_point));
  const __m128i v0 = _mm256_castsi256_si128(v), v1 = _mm256_extracti128_si256(v, 1);
  __m128i q;
  /* fp32 values are already clamped; gemmlowp ones are clamped here (the
   * saturating packs keep their order against qmin/qmax) */
  if (is_signed) {
    q = _mm_min_epi8(_mm_max_epi8(_mm_packs_epi16(v0, v1), _mm_set1_epi8((char) params->q.qmin)),
                     _mm_set1_epi8((char) params->q.qmax));
  } else {
    q = _mm_min_epu8(_mm_max_epu8(_mm_packus_epi16(v0, v1), _mm_set1_epi8((char) params->q.qmin)),
                     _mm_set1_epi8((char) params->q.qmax));
  }
  _mm_storeu_si128((__m128i*) out, q);
}

QK_DW_ALWAYS_INLINE void qk_dwconv_avx2(size_t taps, int is_signed, size_t channels, size_t output_width,
                                        const size_t* indirection, size_t step, const void* input,
                                        const void* zero, const void* weights, void* output, size_t output_stride,
                                        const qk_dwconv_params* params) {
  const size_t block = qk_dwconv_block_bytes(16, taps, 2, params->mode);
  uint8_t* out = (uint8_t*) output;
  for (size_t px = 0; px < output_width; px++) {
    const uint8_t* rows[QK_DWCONV_MAX_TAPS + 1];
    for (size_t t = 0; t < taps; t++) rows[t] = qk_dwconv_tap(indirection[t], input, zero);
    rows[taps] = rows[taps - 1]; /* partner of an odd last tap (weight 0) */
    const uint8_t* w = (const uint8_t*) weights;
    size_t c = 0;
    for (; c + 16 <= channels; c += 16, w += block) {
      qk_dw_avx2_block16(taps, is_signed, rows, c, w, out + c, params);
    }
    if (c < channels) {
      const size_t n = channels - c;
      uint8_t buf[(QK_DWCONV_MAX_TAPS + 1) * 16];
      const uint8_t* brows[QK_DWCONV_MAX_TAPS + 1];
      memset(buf, 0, sizeof buf);
      for (size_t t = 0; t <= taps; t++) {
        memcpy(buf + t * 16, rows[t] + c, n);
        brows[t] = buf + t * 16;
      }
      uint8_t tmp[16];
      qk_dw_avx2_block16(taps, is_signed, brows, 0, w, tmp, params);
      memcpy(out + c, tmp, n);
    }
    indirection += step;
    out += output_stride;
  }
}

#endif
