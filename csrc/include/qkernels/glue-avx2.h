/* AVX2 body of the quantized elementwise add (qs8/qu8 vadd), 32 elements per
 * step.  Include only from files compiled with -mavx2.  The arithmetic is
 * glue-sse41.h's on 8 lanes instead of 4 (the proofs there apply lane by
 * lane); only the data movement differs, and it is explained below. */
#ifndef QKERNELS_GLUE_AVX2_H
#define QKERNELS_GLUE_AVX2_H

#include <immintrin.h>

#include "qkernels/vadd.h"

#if defined(__GNUC__)
#define QK_GLUE_INLINE static inline __attribute__((always_inline))
#else
#define QK_GLUE_INLINE QK_INLINE
#endif

/* SaturatingRoundingDoublingHighMul, 0 <= m < 2^31: see qk_srdhm_sse41. */
QK_INLINE __m256i qk_srdhm_avx2(__m256i x, __m256i vm) {
  const __m256i vnudge = _mm256_set1_epi64x(INT64_C(1) << 30);
  const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, vm), vnudge), 31);
  const __m256i odd =
      _mm256_slli_epi64(_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), vm), vnudge), 1);
  return _mm256_blend_epi32(even, odd, 0xAA);
}

/* RoundingDivideByPOT with the overflow-free remainder/threshold form: see
 * qk_rdbpot_sse41_apply. */
typedef struct {
  __m128i shift;
  __m256i mask, half;
} qk_rdbpot_avx2;

QK_INLINE qk_rdbpot_avx2 qk_rdbpot_avx2_init(uint32_t e) {
  qk_rdbpot_avx2 r;
  const int32_t mask = (int32_t) ((UINT32_C(1) << e) - 1u);
  r.shift = _mm_cvtsi32_si128((int) e);
  r.mask = _mm256_set1_epi32(mask);
  r.half = _mm256_set1_epi32(mask >> 1);
  return r;
}

QK_INLINE __m256i qk_rdbpot_avx2_apply(__m256i x, const qk_rdbpot_avx2* r) {
  const __m256i remainder = _mm256_and_si256(x, r->mask);
  const __m256i threshold = _mm256_sub_epi32(r->half, _mm256_srai_epi32(x, 31));
  return _mm256_sub_epi32(_mm256_sra_epi32(x, r->shift), _mm256_cmpgt_epi32(remainder, threshold));
}

typedef struct {
  __m256i a_zp16, b_zp16, a_mult, b_mult, o_mult, o_zp16, qmin, qmax;
  qk_rdbpot_avx2 a_div, b_div, o_div;
} qk_vadd_avx2;

/* 16 inputs (x - zp, 16-bit lanes in order) -> scaled int32 values.  The
 * 256-bit unpacks work within 128-bit halves, so `lo` holds elements 0-3 and
 * 8-11 and `hi` 4-7 and 12-15; packs_epi32(lo, hi) undoes exactly that
 * interleave later.  Shifts as in qk_vadd_scale8_sse41. */
QK_GLUE_INLINE void qk_vadd_scale16_avx2(__m256i d16, __m256i vmult, const qk_rdbpot_avx2* div, int half,
                                         __m256i* lo, __m256i* hi) {
  const __m256i zero = _mm256_setzero_si256();
  if (half) {
    const __m256i d = _mm256_slli_epi16(d16, QK_VADD_LEFT_SHIFT - 1 - 16);
    *lo = _mm256_unpacklo_epi16(zero, d);
    *hi = _mm256_unpackhi_epi16(zero, d);
    return;
  }
  const __m256i d = _mm256_slli_epi16(d16, QK_VADD_LEFT_SHIFT - 16);
  *lo = qk_rdbpot_avx2_apply(qk_srdhm_avx2(_mm256_unpacklo_epi16(zero, d), vmult), div);
  *hi = qk_rdbpot_avx2_apply(qk_srdhm_avx2(_mm256_unpackhi_epi16(zero, d), vmult), div);
}

QK_GLUE_INLINE __m256i qk_widen_sub_avx2(__m128i v, __m256i vzp16, int is_signed) {
  return _mm256_sub_epi16(is_signed ? _mm256_cvtepi8_epi16(v) : _mm256_cvtepu8_epi16(v), vzp16);
}

/* 16 elements of a and b -> 16 int16 results (zero point added, saturated). */
QK_GLUE_INLINE __m256i qk_vadd16_avx2(__m128i va, __m128i vb, const qk_vadd_avx2* c, int is_signed, int a_half,
                                      int b_half) {
  __m256i a_lo, a_hi, b_lo, b_hi;
  qk_vadd_scale16_avx2(qk_widen_sub_avx2(va, c->a_zp16, is_signed), c->a_mult, &c->a_div, a_half, &a_lo, &a_hi);
  qk_vadd_scale16_avx2(qk_widen_sub_avx2(vb, c->b_zp16, is_signed), c->b_mult, &c->b_div, b_half, &b_lo, &b_hi);
  /* |scaled| < 2^28 each for any multiplier: the sums cannot wrap. */
  const __m256i y_lo = qk_rdbpot_avx2_apply(qk_srdhm_avx2(_mm256_add_epi32(a_lo, b_lo), c->o_mult), &c->o_div);
  const __m256i y_hi = qk_rdbpot_avx2_apply(qk_srdhm_avx2(_mm256_add_epi32(a_hi, b_hi), c->o_mult), &c->o_div);
  /* packs saturates to int16 and adds_epi16 again: both keep the order of
   * values against the byte clamp, as in qk_narrow16_sse41. */
  return _mm256_adds_epi16(_mm256_packs_epi32(y_lo, y_hi), c->o_zp16);
}

QK_GLUE_INLINE __m256i qk_vadd32_avx2(__m256i va, __m256i vb, const qk_vadd_avx2* c, int is_signed, int a_half,
                                      int b_half) {
  const __m256i w0 = qk_vadd16_avx2(_mm256_castsi256_si128(va), _mm256_castsi256_si128(vb), c, is_signed, a_half,
                                    b_half);
  const __m256i w1 = qk_vadd16_avx2(_mm256_extracti128_si256(va, 1), _mm256_extracti128_si256(vb, 1), c, is_signed,
                                    a_half, b_half);
  /* packs per 128-bit half gives elements 0-7, 16-23 | 8-15, 24-31: the
   * 64-bit permute (0, 2, 1, 3) restores the order. */
  if (is_signed) {
    const __m256i q = _mm256_permute4x64_epi64(_mm256_packs_epi16(w0, w1), 0xD8);
    return _mm256_min_epi8(_mm256_max_epi8(q, c->qmin), c->qmax);
  }
  const __m256i q = _mm256_permute4x64_epi64(_mm256_packus_epi16(w0, w1), 0xD8);
  return _mm256_min_epu8(_mm256_max_epu8(q, c->qmin), c->qmax);
}

/* 32 elements per step; a tail of 1..31 goes through the same body via
 * 32-byte stack copies, so no byte outside a, b or y is touched. */
QK_GLUE_INLINE void qk_vadd_loop_avx2(size_t n, const uint8_t* pa, const uint8_t* pb, uint8_t* py,
                                      const qk_vadd_avx2* c, int is_signed, int a_half, int b_half) {
  for (; n >= 32; n -= 32, pa += 32, pb += 32, py += 32) {
    const __m256i va = _mm256_loadu_si256((const __m256i*) pa);
    const __m256i vb = _mm256_loadu_si256((const __m256i*) pb);
    _mm256_storeu_si256((__m256i*) py, qk_vadd32_avx2(va, vb, c, is_signed, a_half, b_half));
  }
  if (n != 0) {
    uint8_t ta[32] = {0}, tb[32] = {0}, ty[32];
    memcpy(ta, pa, n);
    memcpy(tb, pb, n);
    const __m256i vy = qk_vadd32_avx2(_mm256_loadu_si256((const __m256i*) ta),
                                      _mm256_loadu_si256((const __m256i*) tb), c, is_signed, a_half, b_half);
    _mm256_storeu_si256((__m256i*) ty, vy);
    memcpy(py, ty, n);
  }
}

/* The whole kernel: one loop instance per combination of "half" inputs
 * (qk_vadd_is_half), chosen once per call. */
QK_GLUE_INLINE void qk_vadd_x32_avx2(size_t n, const void* a, const void* b, void* y, const qk_vadd_params* p,
                                     int is_signed) {
  const uint8_t* pa = (const uint8_t*) a;
  const uint8_t* pb = (const uint8_t*) b;
  uint8_t* py = (uint8_t*) y;
  qk_vadd_avx2 c;
  c.a_zp16 = _mm256_set1_epi16((int16_t) p->a_zero_point);
  c.b_zp16 = _mm256_set1_epi16((int16_t) p->b_zero_point);
  c.a_mult = _mm256_set1_epi32(p->a_multiplier);
  c.b_mult = _mm256_set1_epi32(p->b_multiplier);
  c.o_mult = _mm256_set1_epi32(p->output_multiplier);
  c.o_zp16 = _mm256_set1_epi16((int16_t) p->output.zero_point);
  c.qmin = _mm256_set1_epi8((char) p->output.qmin);
  c.qmax = _mm256_set1_epi8((char) p->output.qmax);
  c.a_div = qk_rdbpot_avx2_init(p->a_shift);
  c.b_div = qk_rdbpot_avx2_init(p->b_shift);
  c.o_div = qk_rdbpot_avx2_init(p->output_shift);
  const int a_half = qk_vadd_is_half(p->a_multiplier, p->a_shift);
  const int b_half = qk_vadd_is_half(p->b_multiplier, p->b_shift);
  if (a_half && b_half) {
    qk_vadd_loop_avx2(n, pa, pb, py, &c, is_signed, 1, 1);
  } else if (a_half) {
    qk_vadd_loop_avx2(n, pa, pb, py, &c, is_signed, 1, 0);
  } else if (b_half) {
    qk_vadd_loop_avx2(n, pa, pb, py, &c, is_signed, 0, 1);
  } else {
    qk_vadd_loop_avx2(n, pa, pb, py, &c, is_signed, 0, 0);
  }
}

#endif
