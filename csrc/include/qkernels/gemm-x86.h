/* SSE4.1-level helpers of the x86 8-bit GEMM kernels (tails, stores and the
 * requantization epilogue).  Include only from files compiled with -msse4.1
 * or -mavx2.  Each helper equals the scalar definition of requant.h bit for
 * bit; the reasoning is next to it. */
#ifndef QKERNELS_GEMM_X86_H
#define QKERNELS_GEMM_X86_H

#include <smmintrin.h>

#include "qkernels/gemm.h"

/* The low n (< 8) bytes at p, zero-extended to 8: reads exactly n bytes. */
QK_INLINE __m128i qk_load_partial8(const uint8_t* p, size_t n) {
  uint8_t tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < n; i++) tmp[i] = p[i];
  return _mm_loadl_epi64((const __m128i*) tmp);
}

QK_INLINE void qk_store_u32(uint8_t* p, uint32_t v) { memcpy(p, &v, sizeof v); }

/* Store the low n (< 4) bytes of v. */
QK_INLINE void qk_store_partial_u32(uint8_t* p, uint32_t v, size_t n) {
  if (n & 2) {
    const uint16_t h = (uint16_t) v;
    memcpy(p, &h, sizeof h);
    p += 2;
    v >>= 16;
  }
  if (n & 1) *p = (uint8_t) v;
}

/* Store the low n (< 8) bytes of v. */
QK_INLINE void qk_store_partial_u64(uint8_t* p, uint64_t v, size_t n) {
  if (n & 4) {
    const uint32_t h = (uint32_t) v;
    memcpy(p, &h, sizeof h);
    p += 4;
    v >>= 32;
  }
  qk_store_partial_u32(p, (uint32_t) v, n & 3);
}

/* fp32 mode, without the zero point: rint(clamp(float(acc) * s, fmin, fmax)).
 * Clamping before rounding equals qk_requant_fp32 (rounding is monotone and
 * fmin/fmax are integers); cvtps2dq rounds half to even in the default MXCSR
 * mode, as the requantization family also relies on. */
QK_INLINE __m128i qk_requant_fp32_x4(__m128i acc, __m128 vs, __m128 vmin, __m128 vmax) {
  const __m128 x = _mm_mul_ps(_mm_cvtepi32_ps(acc), vs);
  return _mm_cvtps_epi32(_mm_min_ps(_mm_max_ps(x, vmin), vmax));
}

/* gemmlowp mode for 4 channels with their own multiplier m and shift e,
 * without the zero point.  Worked on |acc| (the multiplier is >= 0, so both
 * gemmlowp roundings are symmetric in magnitude; psignd restores the sign):
 *   u = (|acc| * m + 2^30 - [acc < 0]) >> 31     SaturatingRoundingDoublingHighMul
 *   v = (u + r) >> e,  r = e ? 2^(e-1) : 0        RoundingDivideByPOT
 * u < 2^31 and u + r < 2^32 fit uint32.  SSE has no per-lane shift, so
 * v = ((u + r) * 2^(31-e)) >> 31 in 64-bit lanes (pmuludq), exact because the
 * product is below 2^63.  r and 2^(31-e) are made once per 4 channels. */
typedef struct qk_gemmlowp_x4 {
  __m128i mult, round, pow2;
} qk_gemmlowp_x4;

QK_INLINE qk_gemmlowp_x4 qk_gemmlowp_x4_load(const uint8_t* p) {
  int32_t e[4];
  memcpy(e, p + 16, sizeof e);
  qk_gemmlowp_x4 q;
  q.mult = _mm_loadu_si128((const __m128i*) p);
  q.round = _mm_setr_epi32(e[0] ? (int32_t) (UINT32_C(1) << (e[0] - 1)) : 0,
                           e[1] ? (int32_t) (UINT32_C(1) << (e[1] - 1)) : 0,
                           e[2] ? (int32_t) (UINT32_C(1) << (e[2] - 1)) : 0,
                           e[3] ? (int32_t) (UINT32_C(1) << (e[3] - 1)) : 0);
  q.pow2 = _mm_setr_epi32((int32_t) (UINT32_C(1) << (31 - e[0])), (int32_t) (UINT32_C(1) << (31 - e[1])),
                          (int32_t) (UINT32_C(1) << (31 - e[2])), (int32_t) (UINT32_C(1) << (31 - e[3])));
  return q;
}

/* 32x32->64 unsigned products of even lanes and of odd lanes, >> 31 each,
 * merged back into 4 x uint32 (the values are below 2^32). */
QK_INLINE __m128i qk_mul_shr31_x4(__m128i x, __m128i y, __m128i add_even, __m128i add_odd) {
  const __m128i even = _mm_srli_epi64(_mm_add_epi64(_mm_mul_epu32(x, y), add_even), 31);
  const __m128i odd = _mm_srli_epi64(
      _mm_add_epi64(_mm_mul_epu32(_mm_srli_epi64(x, 32), _mm_srli_epi64(y, 32)), add_odd), 31);
  return _mm_blend_epi16(even, _mm_slli_epi64(odd, 32), 0xCC);
}

QK_INLINE __m128i qk_requant_gemmlowp_x4(__m128i acc, const qk_gemmlowp_x4* q) {
  const __m128i ax = _mm_abs_epi32(acc); /* INT32_MIN -> 2^31 as unsigned */
  const __m128i neg = _mm_srai_epi32(acc, 31);
  const __m128i half = _mm_set1_epi64x(INT64_C(1) << 30);
  /* 2^30 - 1 for negative accumulators: 64-bit -1 from the sign mask */
  const __m128i u = qk_mul_shr31_x4(ax, q->mult, _mm_add_epi64(half, _mm_shuffle_epi32(neg, _MM_SHUFFLE(2, 2, 0, 0))),
                                    _mm_add_epi64(half, _mm_shuffle_epi32(neg, _MM_SHUFFLE(3, 3, 1, 1))));
  const __m128i zero = _mm_setzero_si128();
  const __m128i v = qk_mul_shr31_x4(_mm_add_epi32(u, q->round), q->pow2, zero, zero);
  return _mm_sign_epi32(v, acc);
}

#endif
