/* SSE4.1 bodies of the quantized glue kernels (qs8/qu8 vadd and gavgpool).
 * Include only from files compiled with -msse4.1.  Each kernel file
 * instantiates a body with is_signed = 1 (qs8) or 0 (qu8); the flag is a
 * compile-time constant after inlining, so each instance is branch-free.
 * Every helper equals its scalar definition in requant.h bit for bit; the
 * reasoning is next to it. */
#ifndef QKERNELS_GLUE_SSE41_H
#define QKERNELS_GLUE_SSE41_H

#include <smmintrin.h>

#include "qkernels/gavgpool.h"
#include "qkernels/vadd.h"

/* Force inlining where a constant argument (is_signed, a full 16-channel
 * block) must fold away inside a loop. */
#if defined(__GNUC__)
#define QK_GLUE_INLINE static inline __attribute__((always_inline))
#else
#define QK_GLUE_INLINE QK_INLINE
#endif

/* SaturatingRoundingDoublingHighMul(x, m) on 4 lanes, 0 <= m < 2^31 in every
 * lane (so the saturating case INT32_MIN * INT32_MIN never occurs).
 * pmuldq forms the exact signed 64-bit product p of the even lanes (odd lanes
 * are shifted down first).  gemmlowp's "add +-2^30, divide truncating toward
 * zero" equals floor((p + 2^30) / 2^31) for both signs: for p < 0 it is
 * ceil((p + 1 - 2^30) / 2^31), and with p + 2^30 = q*2^31 + r (0 <= r < 2^31)
 * that is q - 1 + ceil((r + 1) / 2^31) = q.  The result fits in int32, so
 * its bits are bits 31..62 of p + 2^30, which a logical 64-bit shift exposes
 * as well as an arithmetic one would: >> 31 for the even lanes, << 1 to move
 * them into the high dword for the odd lanes. */
QK_INLINE __m128i qk_srdhm_sse41(__m128i x, __m128i vm) {
  const __m128i vnudge = _mm_set1_epi64x(INT64_C(1) << 30);
  const __m128i even = _mm_srli_epi64(_mm_add_epi64(_mm_mul_epi32(x, vm), vnudge), 31);
  const __m128i odd = _mm_slli_epi64(_mm_add_epi64(_mm_mul_epi32(_mm_srli_epi64(x, 32), vm), vnudge), 1);
  return _mm_blend_epi16(even, odd, 0xCC);
}

/* RoundingDivideByPOT(x, e) with requant.h's remainder/threshold formulation,
 * which never forms x + 2^(e-1) and so cannot overflow for any int32 x. */
typedef struct {
  __m128i shift; /* e, as the count operand of psrad */
  __m128i mask;  /* 2^e - 1 */
  __m128i half;  /* mask >> 1 */
} qk_rdbpot_sse41;

QK_INLINE qk_rdbpot_sse41 qk_rdbpot_sse41_init(uint32_t e) {
  qk_rdbpot_sse41 r;
  const int32_t mask = (int32_t) ((UINT32_C(1) << e) - 1u);
  r.shift = _mm_cvtsi32_si128((int) e);
  r.mask = _mm_set1_epi32(mask);
  r.half = _mm_set1_epi32(mask >> 1);
  return r;
}

QK_INLINE __m128i qk_rdbpot_sse41_apply(__m128i x, const qk_rdbpot_sse41* r) {
  const __m128i remainder = _mm_and_si128(x, r->mask);
  const __m128i threshold = _mm_sub_epi32(r->half, _mm_srai_epi32(x, 31)); /* half + [x < 0] */
  /* cmpgt is -1 where the quotient rounds up in magnitude */
  return _mm_sub_epi32(_mm_sra_epi32(x, r->shift), _mm_cmpgt_epi32(remainder, threshold));
}

/* 16 int32 lanes (relative to the zero point) -> 16 bytes.  packs saturates
 * to int16 and adds_epi16 saturates again: both keep the order of values
 * against the byte clamp, whose bounds lie inside [-128, 255], so the final
 * min/max is exact. */
QK_GLUE_INLINE __m128i qk_narrow16_sse41(__m128i y0, __m128i y1, __m128i y2, __m128i y3, __m128i vzp16, __m128i vqmin,
                                    __m128i vqmax, int is_signed) {
  const __m128i lo = _mm_adds_epi16(_mm_packs_epi32(y0, y1), vzp16);
  const __m128i hi = _mm_adds_epi16(_mm_packs_epi32(y2, y3), vzp16);
  if (is_signed) return _mm_min_epi8(_mm_max_epi8(_mm_packs_epi16(lo, hi), vqmin), vqmax);
  return _mm_min_epu8(_mm_max_epu8(_mm_packus_epi16(lo, hi), vqmin), vqmax);
}

/* ------------------------------------------------------------------ vadd */

typedef struct {
  __m128i a_zp16, b_zp16;      /* input zero points, 16-bit lanes */
  __m128i a_mult, b_mult, o_mult;
  qk_rdbpot_sse41 a_div, b_div, o_div;
  __m128i o_zp16, qmin, qmax;
} qk_vadd_sse41;

QK_INLINE void qk_vadd_sse41_init(qk_vadd_sse41* c, const qk_vadd_params* p) {
  c->a_zp16 = _mm_set1_epi16((int16_t) p->a_zero_point);
  c->b_zp16 = _mm_set1_epi16((int16_t) p->b_zero_point);
  c->a_mult = _mm_set1_epi32(p->a_multiplier);
  c->b_mult = _mm_set1_epi32(p->b_multiplier);
  c->o_mult = _mm_set1_epi32(p->output_multiplier);
  c->a_div = qk_rdbpot_sse41_init(p->a_shift);
  c->b_div = qk_rdbpot_sse41_init(p->b_shift);
  c->o_div = qk_rdbpot_sse41_init(p->output_shift);
  c->o_zp16 = _mm_set1_epi16((int16_t) p->output.zero_point);
  c->qmin = _mm_set1_epi8((char) p->output.qmin);
  c->qmax = _mm_set1_epi8((char) p->output.qmax);
}

/* 8 inputs (x - zp, 16-bit lanes) -> their scaled values in 2 x 4 int32 lanes.
 * |x - zp| <= 255, so (x - zp) * 16 fits int16, and interleaving it above a
 * zero low half makes (x - zp) * 2^16 * 16 = (x - zp) << 20 in each int32
 * lane.  `half` (multiplier 2^30, shift 0, see qk_vadd_is_half): the scaled
 * value is (x - zp) << 19, one shift by 3 before the interleave. */
QK_GLUE_INLINE void qk_vadd_scale8_sse41(__m128i d16, __m128i vmult, const qk_rdbpot_sse41* div, int half,
                                         __m128i* lo, __m128i* hi) {
  const __m128i zero = _mm_setzero_si128();
  if (half) {
    const __m128i d = _mm_slli_epi16(d16, QK_VADD_LEFT_SHIFT - 1 - 16);
    *lo = _mm_unpacklo_epi16(zero, d);
    *hi = _mm_unpackhi_epi16(zero, d);
    return;
  }
  const __m128i d = _mm_slli_epi16(d16, QK_VADD_LEFT_SHIFT - 16);
  *lo = qk_rdbpot_sse41_apply(qk_srdhm_sse41(_mm_unpacklo_epi16(zero, d), vmult), div);
  *hi = qk_rdbpot_sse41_apply(qk_srdhm_sse41(_mm_unpackhi_epi16(zero, d), vmult), div);
}

QK_GLUE_INLINE __m128i qk_widen_sub_sse41(__m128i v, __m128i vzp16, int is_signed) {
  return _mm_sub_epi16(is_signed ? _mm_cvtepi8_epi16(v) : _mm_cvtepu8_epi16(v), vzp16);
}

QK_GLUE_INLINE __m128i qk_vadd16_sse41(__m128i va, __m128i vb, const qk_vadd_sse41* c, int is_signed, int a_half,
                                       int b_half) {
  __m128i a0, a1, a2, a3, b0, b1, b2, b3;
  qk_vadd_scale8_sse41(qk_widen_sub_sse41(va, c->a_zp16, is_signed), c->a_mult, &c->a_div, a_half, &a0, &a1);
  qk_vadd_scale8_sse41(qk_widen_sub_sse41(_mm_unpackhi_epi64(va, va), c->a_zp16, is_signed), c->a_mult, &c->a_div,
                       a_half, &a2, &a3);
  qk_vadd_scale8_sse41(qk_widen_sub_sse41(vb, c->b_zp16, is_signed), c->b_mult, &c->b_div, b_half, &b0, &b1);
  qk_vadd_scale8_sse41(qk_widen_sub_sse41(_mm_unpackhi_epi64(vb, vb), c->b_zp16, is_signed), c->b_mult, &c->b_div,
                       b_half, &b2, &b3);
  /* |scaled| <= 255 * 2^20 < 2^28 each for any multiplier: the sums cannot wrap. */
  const __m128i y0 = qk_rdbpot_sse41_apply(qk_srdhm_sse41(_mm_add_epi32(a0, b0), c->o_mult), &c->o_div);
  const __m128i y1 = qk_rdbpot_sse41_apply(qk_srdhm_sse41(_mm_add_epi32(a1, b1), c->o_mult), &c->o_div);
  const __m128i y2 = qk_rdbpot_sse41_apply(qk_srdhm_sse41(_mm_add_epi32(a2, b2), c->o_mult), &c->o_div);
  const __m128i y3 = qk_rdbpot_sse41_apply(qk_srdhm_sse41(_mm_add_epi32(a3, b3), c->o_mult), &c->o_div);
  return qk_narrow16_sse41(y0, y1, y2, y3, c->o_zp16, c->qmin, c->qmax, is_signed);
}

/* 16 elements per step; a tail of 1..15 goes through the same body via
 * 16-byte stack copies, so no byte outside a, b or y is touched. */
QK_GLUE_INLINE void qk_vadd_loop_sse41(size_t n, const uint8_t* pa, const uint8_t* pb, uint8_t* py,
                                       const qk_vadd_sse41* c, int is_signed, int a_half, int b_half) {
  for (; n >= 16; n -= 16, pa += 16, pb += 16, py += 16) {
    const __m128i va = _mm_loadu_si128((const __m128i*) pa);
    const __m128i vb = _mm_loadu_si128((const __m128i*) pb);
    _mm_storeu_si128((__m128i*) py, qk_vadd16_sse41(va, vb, c, is_signed, a_half, b_half));
  }
  if (n != 0) {
    uint8_t ta[16] = {0}, tb[16] = {0}, ty[16];
    memcpy(ta, pa, n);
    memcpy(tb, pb, n);
    const __m128i vy = qk_vadd16_sse41(_mm_loadu_si128((const __m128i*) ta), _mm_loadu_si128((const __m128i*) tb),
                                       c, is_signed, a_half, b_half);
    _mm_storeu_si128((__m128i*) ty, vy);
    memcpy(py, ty, n);
  }
}

/* The whole kernel: one loop instance per combination of "half" inputs, so
 * the choice is made once per call, not per element. */
QK_GLUE_INLINE void qk_vadd_x16_sse41(size_t n, const void* a, const void* b, void* y, const qk_vadd_params* p,
                                      int is_signed) {
  const uint8_t* pa = (const uint8_t*) a;
  const uint8_t* pb = (const uint8_t*) b;
  uint8_t* py = (uint8_t*) y;
  qk_vadd_sse41 c;
  qk_vadd_sse41_init(&c, p);
  const int a_half = qk_vadd_is_half(p->a_multiplier, p->a_shift);
  const int b_half = qk_vadd_is_half(p->b_multiplier, p->b_shift);
  if (a_half && b_half) {
    qk_vadd_loop_sse41(n, pa, pb, py, &c, is_signed, 1, 1);
  } else if (a_half) {
    qk_vadd_loop_sse41(n, pa, pb, py, &c, is_signed, 1, 0);
  } else if (b_half) {
    qk_vadd_loop_sse41(n, pa, pb, py, &c, is_signed, 0, 1);
  } else {
    qk_vadd_loop_sse41(n, pa, pb, py, &c, is_signed, 0, 0);
  }
}

/* -------------------------------------------------------------- gavgpool */

/* 16 channels of one pixel; `count` < 16 copies just those bytes to the stack. */
QK_GLUE_INLINE __m128i qk_gavgpool_load_sse41(const uint8_t* p, size_t count) {
  if (count == 16) return _mm_loadu_si128((const __m128i*) p);
  uint8_t tmp[16] = {0};
  memcpy(tmp, p, count);
  return _mm_loadu_si128((const __m128i*) tmp);
}

/* Sum `rows` pixels of 16 channels into 4 x 4 int32 lanes.  Rows are first
 * added in 16-bit lanes, 128 at a time: |sum| <= 128 * 255 = 32640 fits int16
 * for int8 and uint8 alike, and costs one add per 8 channels per row instead
 * of the widening to 32 bits, which happens once per 128 rows. */
QK_GLUE_INLINE void qk_gavgpool_sum16_sse41(size_t rows, const uint8_t* row, size_t stride, size_t count, int is_signed,
                                       __m128i acc[4]) {
  acc[0] = acc[1] = acc[2] = acc[3] = _mm_setzero_si128();
  while (rows != 0) {
    size_t block = rows < 128 ? rows : 128;
    rows -= block;
    __m128i s_lo = _mm_setzero_si128(), s_hi = _mm_setzero_si128();
    do {
      const __m128i v = qk_gavgpool_load_sse41(row, count);
      row += stride;
      const __m128i v_hi = _mm_unpackhi_epi64(v, v);
      s_lo = _mm_add_epi16(s_lo, is_signed ? _mm_cvtepi8_epi16(v) : _mm_cvtepu8_epi16(v));
      s_hi = _mm_add_epi16(s_hi, is_signed ? _mm_cvtepi8_epi16(v_hi) : _mm_cvtepu8_epi16(v_hi));
    } while (--block != 0);
    acc[0] = _mm_add_epi32(acc[0], _mm_cvtepi16_epi32(s_lo));
    acc[1] = _mm_add_epi32(acc[1], _mm_cvtepi16_epi32(_mm_unpackhi_epi64(s_lo, s_lo)));
    acc[2] = _mm_add_epi32(acc[2], _mm_cvtepi16_epi32(s_hi));
    acc[3] = _mm_add_epi32(acc[3], _mm_cvtepi16_epi32(_mm_unpackhi_epi64(s_hi, s_hi)));
  }
}

/* fp32 mode: as requant/fp32-sse2.c, clamp in float relative to the zero
 * point (so cvtps never overflows) and round half to even with cvtps under
 * the default MXCSR mode, like qk_requant_fp32's magic-number addition. */
QK_INLINE __m128i qk_fp32_requant4_sse41(__m128i acc, __m128 vscale, __m128 vmin, __m128 vmax) {
  const __m128 x = _mm_mul_ps(_mm_cvtepi32_ps(acc), vscale);
  return _mm_cvtps_epi32(_mm_min_ps(_mm_max_ps(x, vmin), vmax));
}

typedef struct {
  __m128i bias, mult, zp16, qmin, qmax;
  __m128 scale, fmin, fmax;
  qk_rdbpot_sse41 div;
  int32_t mode;
} qk_gavgpool_sse41;

/* One block of `count` (<= 16) channels: sum, requantize, store. */
QK_GLUE_INLINE void qk_gavgpool_block_sse41(size_t rows, const uint8_t* in, size_t stride, size_t count,
                                            uint8_t* out, const qk_gavgpool_sse41* c, int is_signed) {
  __m128i acc[4], y[4];
  qk_gavgpool_sum16_sse41(rows, in, stride, count, is_signed, acc);
  for (int i = 0; i < 4; i++) {
    const __m128i x = _mm_add_epi32(acc[i], c->bias); /* exact: |x| <= 255 * rows < 2^31 */
    y[i] = c->mode == QK_GAVGPOOL_FP32 ? qk_fp32_requant4_sse41(x, c->scale, c->fmin, c->fmax)
                                       : qk_rdbpot_sse41_apply(qk_srdhm_sse41(x, c->mult), &c->div);
  }
  const __m128i q = qk_narrow16_sse41(y[0], y[1], y[2], y[3], c->zp16, c->qmin, c->qmax, is_signed);
  if (count == 16) {
    _mm_storeu_si128((__m128i*) out, q);
  } else {
    uint8_t tmp[16];
    _mm_storeu_si128((__m128i*) tmp, q);
    memcpy(out, tmp, count);
  }
}

/* The whole kernel: blocks of 16 channels, then one partial block whose rows
 * are loaded through stack copies of exactly the remaining bytes. */
QK_GLUE_INLINE void qk_gavgpool_c16_sse41(size_t rows, size_t channels, const void* input, size_t stride,
                                          void* output, const qk_gavgpool_params* p, int is_signed) {
  const uint8_t* in = (const uint8_t*) input;
  uint8_t* out = (uint8_t*) output;
  qk_gavgpool_sse41 c;
  c.bias = _mm_set1_epi32(p->bias);
  c.mult = _mm_set1_epi32(p->multiplier);
  c.zp16 = _mm_set1_epi16((int16_t) p->output.zero_point);
  c.qmin = _mm_set1_epi8((char) p->output.qmin);
  c.qmax = _mm_set1_epi8((char) p->output.qmax);
  c.scale = _mm_set1_ps(p->scale);
  c.fmin = _mm_set1_ps(p->output.fmin);
  c.fmax = _mm_set1_ps(p->output.fmax);
  c.div = qk_rdbpot_sse41_init(p->shift);
  c.mode = p->mode;
  for (; channels >= 16; channels -= 16, in += 16, out += 16) {
    qk_gavgpool_block_sse41(rows, in, stride, 16, out, &c, is_signed);
  }
  if (channels != 0) qk_gavgpool_block_sse41(rows, in, stride, channels, out, &c, is_signed);
}

#endif
