/* NEON bodies of the quantized glue kernels (qs8/qu8 vadd and gavgpool), for
 * armv7 and aarch64 alike (only intrinsics common to both are used).
 * Include only from *-neon.c files.  Each kernel file instantiates a body with
 * is_signed = 1 (qs8) or 0 (qu8); bytes travel as uint8x16_t and are
 * reinterpreted where signedness matters.  Every helper equals its scalar
 * definition in requant.h bit for bit; the reasoning is next to it. */
#ifndef QKERNELS_GLUE_NEON_H
#define QKERNELS_GLUE_NEON_H

#include <arm_neon.h>

#include "qkernels/gavgpool.h"
#include "qkernels/vadd.h"

#if defined(__GNUC__)
#define QK_GLUE_INLINE static inline __attribute__((always_inline))
#else
#define QK_GLUE_INLINE QK_INLINE
#endif

/* RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, m), e).
 * vqrdmulh is SRDHM exactly (saturation included).  vrshl by -e rounds half
 * up, computed without intermediate overflow; RDBPOT rounds ties away from
 * zero, so negative values are first decreased by 1 (the fixup): with
 * x = -(k 2^e + r), (x - 1 + 2^(e-1)) >> e is -k for r < 2^(e-1) and -k-1
 * otherwise.  vnshift = -e; x & vnshift has its sign bit set exactly when
 * x < 0 and e > 0, so for e = 0 the fixup vanishes.  vqadd cannot saturate
 * but keeps INT32_MIN, the only value it could, exact. */
QK_INLINE int32x4_t qk_mul_rdbpot_neon(int32x4_t x, int32x4_t vmult, int32x4_t vnshift) {
  int32x4_t y = vqrdmulhq_s32(x, vmult);
  y = vqaddq_s32(y, vshrq_n_s32(vandq_s32(y, vnshift), 31));
  return vrshlq_s32(y, vnshift);
}

/* 16 int32 lanes relative to the zero point -> 16 bytes.  Both saturating
 * narrowings and the saturating zero-point add keep the order of values
 * against the byte clamp, so the final min/max is exact. */
QK_GLUE_INLINE uint8x16_t qk_narrow16_neon(int32x4_t y0, int32x4_t y1, int32x4_t y2, int32x4_t y3, int16x8_t vzp,
                                           uint8x16_t vqmin, uint8x16_t vqmax, int is_signed) {
  const int16x8_t lo = vqaddq_s16(vcombine_s16(vqmovn_s32(y0), vqmovn_s32(y1)), vzp);
  const int16x8_t hi = vqaddq_s16(vcombine_s16(vqmovn_s32(y2), vqmovn_s32(y3)), vzp);
  if (is_signed) {
    const int8x16_t q = vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi));
    return vreinterpretq_u8_s8(
        vminq_s8(vmaxq_s8(q, vreinterpretq_s8_u8(vqmin)), vreinterpretq_s8_u8(vqmax)));
  }
  const uint8x16_t q = vcombine_u8(vqmovun_s16(lo), vqmovun_s16(hi));
  return vminq_u8(vmaxq_u8(q, vqmin), vqmax);
}

/* ------------------------------------------------------------------ vadd */

typedef struct {
  uint8x8_t a_zp, b_zp; /* input zero points as bytes (int8 bits for qs8) */
  int32x4_t a_mult, b_mult, o_mult;
  int32x4_t a_nshift, b_nshift, o_nshift;
  int16x8_t o_zp;
  uint8x16_t qmin, qmax;
} qk_vadd_neon;

QK_INLINE void qk_vadd_neon_init(qk_vadd_neon* c, const qk_vadd_params* p) {
  c->a_zp = vdup_n_u8((uint8_t) p->a_zero_point);
  c->b_zp = vdup_n_u8((uint8_t) p->b_zero_point);
  c->a_mult = vdupq_n_s32(p->a_multiplier);
  c->b_mult = vdupq_n_s32(p->b_multiplier);
  c->o_mult = vdupq_n_s32(p->output_multiplier);
  c->a_nshift = vdupq_n_s32(-(int32_t) p->a_shift);
  c->b_nshift = vdupq_n_s32(-(int32_t) p->b_shift);
  c->o_nshift = vdupq_n_s32(-(int32_t) p->output_shift);
  c->o_zp = vdupq_n_s16((int16_t) p->output.zero_point);
  c->qmin = vdupq_n_u8((uint8_t) p->output.qmin);
  c->qmax = vdupq_n_u8((uint8_t) p->output.qmax);
}

/* x - zp for 8 bytes, in 16-bit lanes.  For uint8 the wrapped uint16
 * difference read as int16 is the true value, |x - zp| <= 255. */
QK_GLUE_INLINE int16x8_t qk_vadd_sub_zp_neon(uint8x8_t x, uint8x8_t zp, int is_signed) {
  if (is_signed) return vsubl_s8(vreinterpret_s8_u8(x), vreinterpret_s8_u8(zp));
  return vreinterpretq_s16_u16(vsubl_u8(x, zp));
}

/* 8 differences -> their scaled values in 2 x 4 int32 lanes.  (x - zp) * 16
 * fits int16 and vshll by 16 completes the left shift by 20.  `half`
 * (multiplier 2^30, shift 0, see qk_vadd_is_half): the scaled value is
 * (x - zp) << 19, a shift by 3 before the vshll. */
QK_GLUE_INLINE void qk_vadd_scale8_neon(int16x8_t d, int32x4_t vmult, int32x4_t vnshift, int half, int32x4_t* lo,
                                        int32x4_t* hi) {
  if (half) {
    const int16x8_t d8 = vshlq_n_s16(d, QK_VADD_LEFT_SHIFT - 1 - 16);
    *lo = vshll_n_s16(vget_low_s16(d8), 16);
    *hi = vshll_n_s16(vget_high_s16(d8), 16);
    return;
  }
  const int16x8_t d16 = vshlq_n_s16(d, QK_VADD_LEFT_SHIFT - 16);
  *lo = qk_mul_rdbpot_neon(vshll_n_s16(vget_low_s16(d16), 16), vmult, vnshift);
  *hi = qk_mul_rdbpot_neon(vshll_n_s16(vget_high_s16(d16), 16), vmult, vnshift);
}

QK_GLUE_INLINE uint8x16_t qk_vadd16_neon(uint8x16_t va, uint8x16_t vb, const qk_vadd_neon* c, int is_signed,
                                         int a_half, int b_half) {
  int32x4_t a0, a1, a2, a3, b0, b1, b2, b3;
  qk_vadd_scale8_neon(qk_vadd_sub_zp_neon(vget_low_u8(va), c->a_zp, is_signed), c->a_mult, c->a_nshift, a_half,
                      &a0, &a1);
  qk_vadd_scale8_neon(qk_vadd_sub_zp_neon(vget_high_u8(va), c->a_zp, is_signed), c->a_mult, c->a_nshift, a_half,
                      &a2, &a3);
  qk_vadd_scale8_neon(qk_vadd_sub_zp_neon(vget_low_u8(vb), c->b_zp, is_signed), c->b_mult, c->b_nshift, b_half,
                      &b0, &b1);
  qk_vadd_scale8_neon(qk_vadd_sub_zp_neon(vget_high_u8(vb), c->b_zp, is_signed), c->b_mult, c->b_nshift, b_half,
                      &b2, &b3);
  /* |scaled| <= 255 * 2^20 < 2^28 each for any multiplier: the sums cannot wrap. */
  const int32x4_t y0 = qk_mul_rdbpot_neon(vaddq_s32(a0, b0), c->o_mult, c->o_nshift);
  const int32x4_t y1 = qk_mul_rdbpot_neon(vaddq_s32(a1, b1), c->o_mult, c->o_nshift);
  const int32x4_t y2 = qk_mul_rdbpot_neon(vaddq_s32(a2, b2), c->o_mult, c->o_nshift);
  const int32x4_t y3 = qk_mul_rdbpot_neon(vaddq_s32(a3, b3), c->o_mult, c->o_nshift);
  return qk_narrow16_neon(y0, y1, y2, y3, c->o_zp, c->qmin, c->qmax, is_signed);
}

/* 16 elements per step; a tail of 1..15 goes through the same body via
 * 16-byte stack copies, so no byte outside a, b or y is touched. */
QK_GLUE_INLINE void qk_vadd_loop_neon(size_t n, const uint8_t* pa, const uint8_t* pb, uint8_t* py,
                                      const qk_vadd_neon* c, int is_signed, int a_half, int b_half) {
  for (; n >= 16; n -= 16, pa += 16, pb += 16, py += 16) {
    vst1q_u8(py, qk_vadd16_neon(vld1q_u8(pa), vld1q_u8(pb), c, is_signed, a_half, b_half));
  }
  if (n != 0) {
    uint8_t ta[16] = {0}, tb[16] = {0}, ty[16];
    memcpy(ta, pa, n);
    memcpy(tb, pb, n);
    vst1q_u8(ty, qk_vadd16_neon(vld1q_u8(ta), vld1q_u8(tb), c, is_signed, a_half, b_half));
    memcpy(py, ty, n);
  }
}

/* The whole kernel: one loop instance per combination of "half" inputs, so
 * the choice is made once per call, not per element. */
QK_GLUE_INLINE void qk_vadd_x16_neon(size_t n, const void* a, const void* b, void* y, const qk_vadd_params* p,
                                     int is_signed) {
  const uint8_t* pa = (const uint8_t*) a;
  const uint8_t* pb = (const uint8_t*) b;
  uint8_t* py = (uint8_t*) y;
  qk_vadd_neon c;
  qk_vadd_neon_init(&c, p);
  const int a_half = qk_vadd_is_half(p->a_multiplier, p->a_shift);
  const int b_half = qk_vadd_is_half(p->b_multiplier, p->b_shift);
  if (a_half && b_half) {
    qk_vadd_loop_neon(n, pa, pb, py, &c, is_signed, 1, 1);
  } else if (a_half) {
    qk_vadd_loop_neon(n, pa, pb, py, &c, is_signed, 1, 0);
  } else if (b_half) {
    qk_vadd_loop_neon(n, pa, pb, py, &c, is_signed, 0, 1);
  } else {
    qk_vadd_loop_neon(n, pa, pb, py, &c, is_signed, 0, 0);
  }
}

/* -------------------------------------------------------------- gavgpool */

/* 16 channels of one pixel; `count` < 16 copies just those bytes to the stack. */
QK_GLUE_INLINE uint8x16_t qk_gavgpool_load_neon(const uint8_t* p, size_t count) {
  if (count == 16) return vld1q_u8(p);
  uint8_t tmp[16] = {0};
  memcpy(tmp, p, count);
  return vld1q_u8(tmp);
}

/* Sum `rows` pixels of 16 channels into 4 x 4 int32 lanes.  vaddw adds a row
 * into 16-bit lanes in one instruction per 8 channels; 128 rows at a time
 * keep |sum| <= 128 * 255 = 32640 inside int16 (uint8 sums read as int16
 * are then exact too), and the widening to int32 runs once per 128 rows. */
QK_GLUE_INLINE void qk_gavgpool_sum16_neon(size_t rows, const uint8_t* row, size_t stride, size_t count,
                                           int is_signed, int32x4_t acc[4]) {
  acc[0] = acc[1] = acc[2] = acc[3] = vdupq_n_s32(0);
  while (rows != 0) {
    size_t block = rows < 128 ? rows : 128;
    rows -= block;
    int16x8_t s_lo = vdupq_n_s16(0), s_hi = vdupq_n_s16(0);
    do {
      const uint8x16_t v = qk_gavgpool_load_neon(row, count);
      row += stride;
      if (is_signed) {
        s_lo = vaddw_s8(s_lo, vreinterpret_s8_u8(vget_low_u8(v)));
        s_hi = vaddw_s8(s_hi, vreinterpret_s8_u8(vget_high_u8(v)));
      } else {
        s_lo = vreinterpretq_s16_u16(vaddw_u8(vreinterpretq_u16_s16(s_lo), vget_low_u8(v)));
        s_hi = vreinterpretq_s16_u16(vaddw_u8(vreinterpretq_u16_s16(s_hi), vget_high_u8(v)));
      }
    } while (--block != 0);
    acc[0] = vaddw_s16(acc[0], vget_low_s16(s_lo));
    acc[1] = vaddw_s16(acc[1], vget_high_s16(s_lo));
    acc[2] = vaddw_s16(acc[2], vget_low_s16(s_hi));
    acc[3] = vaddw_s16(acc[3], vget_high_s16(s_hi));
  }
}

typedef struct {
  int32x4_t bias, mult, nshift;
  float32x4_t scale, fmin, fmax;
  int16x8_t zp;
  uint8x16_t qmin, qmax;
  int32_t mode;
} qk_gavgpool_neon;

/* fp32 mode, as requant/fp32-neon.c: clamp relative to the zero point, then
 * round half to even with the 1.5*2^23 addition (exact for |x| <= 510;
 * vcvtnq is ARMv8-only), giving rint(x) relative to the zero point. */
QK_INLINE int32x4_t qk_fp32_requant4_neon(int32x4_t acc, const qk_gavgpool_neon* c) {
  float32x4_t x = vmulq_f32(vcvtq_f32_s32(acc), c->scale);
  x = vaddq_f32(vminq_f32(vmaxq_f32(x, c->fmin), c->fmax), vdupq_n_f32(12582912.0f));
  return vsubq_s32(vreinterpretq_s32_f32(x), vdupq_n_s32(INT32_C(0x4B400000)));
}

/* One block of `count` (<= 16) channels: sum, requantize, store. */
QK_GLUE_INLINE void qk_gavgpool_block_neon(size_t rows, const uint8_t* in, size_t stride, size_t count,
                                           uint8_t* out, const qk_gavgpool_neon* c, int is_signed) {
  int32x4_t acc[4], y[4];
  qk_gavgpool_sum16_neon(rows, in, stride, count, is_signed, acc);
  for (int i = 0; i < 4; i++) {
    const int32x4_t x = vaddq_s32(acc[i], c->bias); /* exact: |x| <= 255 * rows < 2^31 */
    y[i] = c->mode == QK_GAVGPOOL_FP32 ? qk_fp32_requant4_neon(x, c) : qk_mul_rdbpot_neon(x, c->mult, c->nshift);
  }
  const uint8x16_t q = qk_narrow16_neon(y[0], y[1], y[2], y[3], c->zp, c->qmin, c->qmax, is_signed);
  if (count == 16) {
    vst1q_u8(out, q);
  } else {
    uint8_t tmp[16];
    vst1q_u8(tmp, q);
    memcpy(out, tmp, count);
  }
}

/* The whole kernel: blocks of 16 channels, then one partial block whose rows
 * are loaded through stack copies of exactly the remaining bytes. */
QK_GLUE_INLINE void qk_gavgpool_c16_neon(size_t rows, size_t channels, const void* input, size_t stride,
                                         void* output, const qk_gavgpool_params* p, int is_signed) {
  const uint8_t* in = (const uint8_t*) input;
  uint8_t* out = (uint8_t*) output;
  qk_gavgpool_neon c;
  c.bias = vdupq_n_s32(p->bias);
  c.mult = vdupq_n_s32(p->multiplier);
  c.nshift = vdupq_n_s32(-(int32_t) p->shift);
  c.scale = vdupq_n_f32(p->scale);
  c.fmin = vdupq_n_f32(p->output.fmin);
  c.fmax = vdupq_n_f32(p->output.fmax);
  c.zp = vdupq_n_s16((int16_t) p->output.zero_point);
  c.qmin = vdupq_n_u8((uint8_t) p->output.qmin);
  c.qmax = vdupq_n_u8((uint8_t) p->output.qmax);
  c.mode = p->mode;
  for (; channels >= 16; channels -= 16, in += 16, out += 16) {
    qk_gavgpool_block_neon(rows, in, stride, 16, out, &c, is_signed);
  }
  if (channels != 0) qk_gavgpool_block_neon(rows, in, stride, channels, out, &c, is_signed);
}

#endif
