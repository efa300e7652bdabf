/* Depthwise up8xT body for SSE2 and SSE4.1 (included only by files compiled
 * with -msse2 / -msse4.1; __SSE4_1__ picks the SSE4.1 instructions).
 *
 * Why pmaddwd: the packed weights pair two taps per channel (sr = 2), so
 * interleaving the bytes of two tap rows (punpcklbw) and widening them to
 * int16 gives [x_a(c), x_b(c)] pairs that pmaddwd multiplies with
 * [w_a(c), w_b(c)] and sums into one int32 per channel: 8 exact MACs per
 * instruction (|x| <= 255, |w| <= 255, so no pair sum can overflow).  An
 * odd tap count pairs the last tap with a zero-weight dummy that re-reads
 * the last tap's row.
 *
 * Tails: a block of fewer than 8 channels is gathered into a zeroed stack
 * buffer (exactly the remaining bytes of each row are read), computed the
 * same way, and only the remaining outputs are copied out. */
#ifndef QKERNELS_DWCONV_SSE_H
#define QKERNELS_DWCONV_SSE_H

#include <emmintrin.h>
#if defined(__SSE4_1__)
#include <smmintrin.h>
#endif

#include "qkernels/dwconv.h"

#define QK_DW_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Interleaved bytes [a0 b0 .. a7 b7] -> int16 pairs of channels 0-3 and 4-7. */
QK_DW_ALWAYS_INLINE void qk_dw_sse_widen(__m128i v, int is_signed, __m128i* lo, __m128i* hi) {
  if (is_signed) {
#if defined(__SSE4_1__)
    *lo = _mm_cvtepi8_epi16(v);
    *hi = _mm_cvtepi8_epi16(_mm_srli_si128(v, 8));
#else
    *lo = _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
    *hi = _mm_srai_epi16(_mm_unpackhi_epi8(v, v), 8);
#endif
  } else {
    const __m128i z = _mm_setzero_si128();
    *lo = _mm_unpacklo_epi8(v, z);
    *hi = _mm_unpackhi_epi8(v, z);
  }
}

#if defined(__SSE4_1__)
/* gemmlowp requantization of 4 lanes with per-lane multiplier / rounding / pow
 * (see requant/gemmlowp-sse41.c for the |acc| formulation): the per-lane
 * right shift is a multiply by 2^(31-e) followed by a shift by 31. */
QK_DW_ALWAYS_INLINE __m128i qk_dw_sse41_gemmlowp4(__m128i x, const int32_t* r, size_t cr) {
  const __m128i vmult = _mm_loadu_si128((const __m128i*) r);
  const __m128i vround32 = _mm_loadu_si128((const __m128i*) (r + 2 * cr));
  const __m128i vpow = _mm_loadu_si128((const __m128i*) (r + 3 * cr));
  const __m128i vround64 = _mm_set1_epi64x(INT64_C(1) << 30);
  const __m128i ax = _mm_abs_epi32(x);
  const __m128i neg = _mm_srai_epi32(x, 31);
  const __m128i round_even = _mm_add_epi64(vround64, _mm_shuffle_epi32(neg, _MM_SHUFFLE(2, 2, 0, 0)));
  const __m128i round_odd = _mm_add_epi64(vround64, _mm_shuffle_epi32(neg, _MM_SHUFFLE(3, 3, 1, 1)));
  const __m128i even = _mm_srli_epi64(_mm_add_epi64(_mm_mul_epu32(ax, vmult), round_even), 31);
  const __m128i odd = _mm_srli_epi64(
      _mm_add_epi64(_mm_mul_epu32(_mm_srli_epi64(ax, 32), _mm_srli_epi64(vmult, 32)), round_odd), 31);
  const __m128i u = _mm_add_epi32(_mm_blend_epi16(even, _mm_slli_epi64(odd, 32), 0xCC), vround32);
  /* u < 2^31 + 2^30 and pow <= 2^31: the 64-bit products cannot overflow */
  const __m128i ve = _mm_srli_epi64(_mm_mul_epu32(u, vpow), 31);
  const __m128i vo = _mm_srli_epi64(_mm_mul_epu32(_mm_srli_epi64(u, 32), _mm_srli_epi64(vpow, 32)), 31);
  return _mm_sign_epi32(_mm_blend_epi16(ve, _mm_slli_epi64(vo, 32), 0xCC), x);
}
#endif

/* One block of 8 channels of one pixel: rows[t] + c are the tap rows. */
QK_DW_ALWAYS_INLINE void qk_dw_sse_block8(size_t taps, int is_signed, const uint8_t* const* rows, size_t c,
                                          const uint8_t* w, uint8_t* out, const qk_dwconv_params* params) {
  __m128i acc_lo = _mm_loadu_si128((const __m128i*) w);
  __m128i acc_hi = _mm_loadu_si128((const __m128i*) (w + 16));
  const __m128i* wp = (const __m128i*) (w + 32);
  for (size_t p = 0; p < (taps + 1) / 2; p++) {
    const __m128i xa = _mm_loadl_epi64((const __m128i*) (rows[2 * p] + c));
    const __m128i xb = _mm_loadl_epi64((const __m128i*) (rows[2 * p + 1] + c));
    __m128i lo, hi;
    qk_dw_sse_widen(_mm_unpacklo_epi8(xa, xb), is_signed, &lo, &hi);
    acc_lo = _mm_add_epi32(acc_lo, _mm_madd_epi16(lo, _mm_loadu_si128(wp + 2 * p)));
    acc_hi = _mm_add_epi32(acc_hi, _mm_madd_epi16(hi, _mm_loadu_si128(wp + 2 * p + 1)));
  }
  const uint8_t* rq = w + 32 + ((taps + 1) / 2) * 32;
  __m128i q;
  if (params->mode == QK_DWCONV_FP32) {
    const __m128 vmin = _mm_set1_ps(params->q.fmin), vmax = _mm_set1_ps(params->q.fmax);
    __m128 f_lo = _mm_mul_ps(_mm_cvtepi32_ps(acc_lo), _mm_loadu_ps((const float*) rq));
    __m128 f_hi = _mm_mul_ps(_mm_cvtepi32_ps(acc_hi), _mm_loadu_ps((const float*) rq + 4));
    f_lo = _mm_min_ps(_mm_max_ps(f_lo, vmin), vmax);
    f_hi = _mm_min_ps(_mm_max_ps(f_hi, vmin), vmax);
    /* cvtps rounds half to even (default MXCSR), like the scalar magic add;
     * the clamp keeps every value small, so the packs below never saturate */
    const __m128i v = _mm_adds_epi16(_mm_packs_epi32(_mm_cvtps_epi32(f_lo), _mm_cvtps_epi32(f_hi)),
                                     _mm_set1_epi16((int16_t) params->q.zero_point));
    q = is_signed ? _mm_packs_epi16(v, v) : _mm_packus_epi16(v, v);
  } else {
#if defined(__SSE4_1__)
    const int32_t* r = (const int32_t*) rq;
    const __m128i y_lo = qk_dw_sse41_gemmlowp4(acc_lo, r, 8);
    const __m128i y_hi = qk_dw_sse41_gemmlowp4(acc_hi, r + 4, 8);
    /* saturating packs and adds keep the order against qmin/qmax */
    const __m128i v = _mm_adds_epi16(_mm_packs_epi32(y_lo, y_hi), _mm_set1_epi16((int16_t) params->q.zero_point));
    if (is_signed) {
      q = _mm_min_epi8(_mm_max_epi8(_mm_packs_epi16(v, v), _mm_set1_epi8((char) params->q.qmin)),
                       _mm_set1_epi8((char) params->q.qmax));
    } else {
      q = _mm_min_epu8(_mm_max_epu8(_mm_packus_epi16(v, v), _mm_set1_epi8((char) params->q.qmin)),
                       _mm_set1_epi8((char) params->q.qmax));
    }
#else
    /* SSE2 has no 32-bit abs/sign/blend: requantize the 8 lanes with the
     * scalar helper (gemmlowp mode only; fp32 above is the common path). */
    int32_t acc[8];
    _mm_storeu_si128((__m128i*) acc, acc_lo);
    _mm_storeu_si128((__m128i*) (acc + 4), acc_hi);
    const int32_t* r = (const int32_t*) rq;
    uint8_t bytes[8];
    for (int j = 0; j < 8; j++) bytes[j] = (uint8_t) qk_requant_gemmlowp(acc[j], r[j], (uint32_t) r[8 + j], &params->q);
    q = _mm_loadl_epi64((const __m128i*) bytes);
#endif
  }
  _mm_storel_epi64((__m128i*) out, q);
}

QK_DW_ALWAYS_INLINE void qk_dwconv_sse(size_t taps, int is_signed, size_t channels, size_t output_width,
                                       const size_t* indirection, size_t step, const void* input, const void* zero,
                                       const void* weights, void* output, size_t output_stride,
                                       const qk_dwconv_params* params) {
  const size_t block = qk_dwconv_block_bytes(8, taps, 2, params->mode);
  uint8_t* out = (uint8_t*) output;
  for (size_t px = 0; px < output_width; px++) {
    const uint8_t* rows[QK_DWCONV_MAX_TAPS + 1];
    for (size_t t = 0; t < taps; t++) rows[t] = qk_dwconv_tap(indirection[t], input, zero);
    rows[taps] = rows[taps - 1]; /* partner of an odd last tap (weight 0) */
    const uint8_t* w = (const uint8_t*) weights;
    size_t c = 0;
    for (; c + 8 <= channels; c += 8, w += block) {
      qk_dw_sse_block8(taps, is_signed, rows, c, w, out + c, params);
    }
    if (c < channels) {
      const size_t n = channels - c;
      uint8_t buf[(QK_DWCONV_MAX_TAPS + 1) * 8];
      const uint8_t* brows[QK_DWCONV_MAX_TAPS + 1];
      memset(buf, 0, sizeof buf);
      for (size_t t = 0; t <= taps; t++) {
        memcpy(buf + t * 8, rows[t] + c, n);
        brows[t] = buf + t * 8;
      }
      uint8_t tmp[8];
      qk_dw_sse_block8(taps, is_signed, brows, 0, w, tmp, params);
      memcpy(out + c, tmp, n);
    }
    indirection += step;
    out += output_stride;
  }
}

#endif
