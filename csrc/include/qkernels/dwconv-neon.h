/* Depthwise up8xT body for NEON, armv7 and aarch64 (included only by
 * `-neon` files).
 *
 * Why this shape: the packed weights are already int16 (zero point
 * subtracted, dwconv.h), so a tap costs one 8-byte input load, one widening
 * (sxtl/uxtl), one 16-byte weight load and two vmlal_s16 into int32: exact
 * for every input, 4 MACs per multiply instruction.  8 channels per block
 * keep 2 accumulators; the 3-pixel aarch64 kernel (up8x9x3-neon.c) reuses
 * these helpers with 6.
 *
 * Requantization: aarch64 has vcvtnq (round to nearest, ties to even,
 * saturating), so rounding then saturating narrows then the 8-bit clamp is
 * exactly the scalar clamp-then-round.  armv7 lacks vcvtn and uses the
 * scalar reference's own trick: clamp in float, add 1.5*2^23, take the bits.
 * gemmlowp: vqrdmulh is SaturatingRoundingDoublingHighMul, and vrshl by -e
 * with the sign fix-up is RoundingDivideByPOT (see requant/gemmlowp-neon.c),
 * here with per-channel multipliers and shifts.
 *
 * The requantization mode is a template constant: each kernel dispatches
 * once per call to a copy specialized for fp32 or gemmlowp. */
#ifndef QKERNELS_DWCONV_NEON_H
#define QKERNELS_DWCONV_NEON_H

#include <arm_neon.h>

#include "qkernels/dwconv.h"

#define QK_DW_ALWAYS_INLINE static inline __attribute__((always_inline))

typedef struct qk_dw_neon_out {
  int16x8_t zp;
  uint8x8_t qmin, qmax; /* bytes of the clamp, compared as s8 or u8 */
  uint8x16_t qmin16, qmax16;
  float32x4_t fmin, fmax;
#if !defined(__aarch64__)
  float32x4_t magic;
  int32x4_t magic_bias; /* bits(1.5*2^23) - zero_point */
#endif
} qk_dw_neon_out;

QK_DW_ALWAYS_INLINE qk_dw_neon_out qk_dw_neon_out_init(const qk_dwconv_params* params) {
  qk_dw_neon_out o;
  o.zp = vdupq_n_s16((int16_t) params->q.zero_point);
  o.qmin = vdup_n_u8((uint8_t) params->q.qmin);
  o.qmax = vdup_n_u8((uint8_t) params->q.qmax);
  o.qmin16 = vdupq_n_u8((uint8_t) params->q.qmin);
  o.qmax16 = vdupq_n_u8((uint8_t) params->q.qmax);
  o.fmin = vdupq_n_f32(params->q.fmin);
  o.fmax = vdupq_n_f32(params->q.fmax);
#if !defined(__aarch64__)
  o.magic = vdupq_n_f32(12582912.0f);
  o.magic_bias = vdupq_n_s32(INT32_C(0x4B400000) - params->q.zero_point);
#endif
  return o;
}

/* 8 input bytes at p -> int16 (sign- or zero-extended). */
QK_DW_ALWAYS_INLINE int16x8_t qk_dw_neon_load_x(const uint8_t* p, int is_signed) {
  return is_signed ? vmovl_s8(vld1_s8((const int8_t*) p)) : vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p)));
}

/* acc_lo/hi += x * w over 8 channels (4 exact MACs per instruction). */
QK_DW_ALWAYS_INLINE void qk_dw_neon_mla(int32x4_t* lo, int32x4_t* hi, int16x8_t x, int16x8_t w) {
  *lo = vmlal_s16(*lo, vget_low_s16(x), vget_low_s16(w));
#if defined(__aarch64__)
  *hi = vmlal_high_s16(*hi, x, w);
#else
  *hi = vmlal_s16(*hi, vget_high_s16(x), vget_high_s16(w));
#endif
}

/* Requantization constants of one 8-channel block. */
typedef struct qk_dw_neon_rq {
  float32x4_t s_lo, s_hi;                 /* fp32 */
  int32x4_t m_lo, m_hi, sh_lo, sh_hi;     /* gemmlowp: multiplier, -shift */
} qk_dw_neon_rq;

QK_DW_ALWAYS_INLINE qk_dw_neon_rq qk_dw_neon_rq_load(const uint8_t* rq, int mode) {
  qk_dw_neon_rq r;
  if (mode == QK_DWCONV_FP32) {
    r.s_lo = vld1q_f32((const float*) rq);
    r.s_hi = vld1q_f32((const float*) rq + 4);
    r.m_lo = r.m_hi = r.sh_lo = r.sh_hi = vdupq_n_s32(0);
  } else {
    const int32_t* p = (const int32_t*) rq;
    r.m_lo = vld1q_s32(p);
    r.m_hi = vld1q_s32(p + 4);
    r.sh_lo = vnegq_s32(vld1q_s32(p + 8));
    r.sh_hi = vnegq_s32(vld1q_s32(p + 12));
    r.s_lo = r.s_hi = vdupq_n_f32(0.0f);
  }
  return r;
}

QK_DW_ALWAYS_INLINE int32x4_t qk_dw_neon_gemmlowp4(int32x4_t acc, int32x4_t m, int32x4_t neg_shift) {
  int32x4_t x = vqrdmulhq_s32(acc, m);
  x = vqaddq_s32(x, vshrq_n_s32(vandq_s32(x, neg_shift), 31));
  return vrshlq_s32(x, neg_shift);
}

#if defined(__aarch64__)
/* Two int32x4 accumulators -> int16 values with the zero point added
 * (saturated, not yet clamped). */
QK_DW_ALWAYS_INLINE int16x8_t qk_dw_neon_requant_s16(int32x4_t lo, int32x4_t hi, const qk_dw_neon_rq* r,
                                                     const qk_dw_neon_out* o, int mode) {
  if (mode == QK_DWCONV_FP32) {
    const int32x4_t y_lo = vcvtnq_s32_f32(vmulq_f32(vcvtq_f32_s32(lo), r->s_lo));
    const int32x4_t y_hi = vcvtnq_s32_f32(vmulq_f32(vcvtq_f32_s32(hi), r->s_hi));
    return vqaddq_s16(vqmovn_high_s32(vqmovn_s32(y_lo), y_hi), o->zp);
  }
  const int32x4_t y_lo = qk_dw_neon_gemmlowp4(lo, r->m_lo, r->sh_lo);
  const int32x4_t y_hi = qk_dw_neon_gemmlowp4(hi, r->m_hi, r->sh_hi);
  return vqaddq_s16(vqmovn_high_s32(vqmovn_s32(y_lo), y_hi), o->zp);
}

/* Two pixels' int16 values -> 16 clamped bytes (saturating narrows keep the
 * order against the clamp bounds). */
QK_DW_ALWAYS_INLINE uint8x16_t qk_dw_neon_narrow16(int16x8_t a, int16x8_t b, const qk_dw_neon_out* o,
                                                   int is_signed) {
  if (is_signed) {
    const int8x16_t q = vqmovn_high_s16(vqmovn_s16(a), b);
    return vreinterpretq_u8_s8(vminq_s8(vmaxq_s8(q, vreinterpretq_s8_u8(o->qmin16)), vreinterpretq_s8_u8(o->qmax16)));
  }
  const uint8x16_t q = vqmovun_high_s16(vqmovun_s16(a), b);
  return vminq_u8(vmaxq_u8(q, o->qmin16), o->qmax16);
}
#endif

/* Two int32x4 accumulators -> 8 output bytes (int8 as its two's complement). */
QK_DW_ALWAYS_INLINE uint8x8_t qk_dw_neon_requant8(int32x4_t lo, int32x4_t hi, const qk_dw_neon_rq* r,
                                                  const qk_dw_neon_out* o, int is_signed, int mode) {
#if defined(__aarch64__)
  const int16x8_t v = qk_dw_neon_requant_s16(lo, hi, r, o, mode);
#else
  int16x8_t v;
  if (mode == QK_DWCONV_FP32) {
    float32x4_t f_lo = vmulq_f32(vcvtq_f32_s32(lo), r->s_lo);
    float32x4_t f_hi = vmulq_f32(vcvtq_f32_s32(hi), r->s_hi);
    f_lo = vaddq_f32(vminq_f32(vmaxq_f32(f_lo, o->fmin), o->fmax), o->magic);
    f_hi = vaddq_f32(vminq_f32(vmaxq_f32(f_hi, o->fmin), o->fmax), o->magic);
    /* already clamped and offset by the zero point: the narrowing is exact */
    v = vcombine_s16(vmovn_s32(vsubq_s32(vreinterpretq_s32_f32(f_lo), o->magic_bias)),
                     vmovn_s32(vsubq_s32(vreinterpretq_s32_f32(f_hi), o->magic_bias)));
    return is_signed ? vreinterpret_u8_s8(vmovn_s16(v)) : vmovn_u16(vreinterpretq_u16_s16(v));
  }
  const int32x4_t y_lo = qk_dw_neon_gemmlowp4(lo, r->m_lo, r->sh_lo);
  const int32x4_t y_hi = qk_dw_neon_gemmlowp4(hi, r->m_hi, r->sh_hi);
  v = vqaddq_s16(vcombine_s16(vqmovn_s32(y_lo), vqmovn_s32(y_hi)), o->zp);
#endif
  /* saturating narrows keep the order against the clamp bounds */
  if (is_signed) {
    const int8x8_t q = vmin_s8(vmax_s8(vqmovn_s16(v), vreinterpret_s8_u8(o->qmin)), vreinterpret_s8_u8(o->qmax));
    return vreinterpret_u8_s8(q);
  }
  return vmin_u8(vmax_u8(vqmovun_s16(v), o->qmin), o->qmax);
}

/* One 8-channel block of one pixel: rows[t] + c are the tap rows. */
QK_DW_ALWAYS_INLINE uint8x8_t qk_dw_neon_block8(size_t taps, int is_signed, int mode, const uint8_t* const* rows,
                                                size_t c, const uint8_t* w, const qk_dw_neon_out* o) {
  int32x4_t acc_lo = vld1q_s32((const int32_t*) w);
  int32x4_t acc_hi = vld1q_s32((const int32_t*) w + 4);
  const int16_t* wt = (const int16_t*) (w + 32);
#pragma GCC unroll 25
  for (size_t t = 0; t < taps; t++) {
    qk_dw_neon_mla(&acc_lo, &acc_hi, qk_dw_neon_load_x(rows[t] + c, is_signed), vld1q_s16(wt + t * 8));
  }
  const qk_dw_neon_rq r = qk_dw_neon_rq_load(w + 32 + taps * 16, mode);
  return qk_dw_neon_requant8(acc_lo, acc_hi, &r, o, is_signed, mode);
}

/* Gather the last (< 8) channels of each row into a zeroed stack buffer:
 * exactly n bytes are read from each row. */
QK_DW_ALWAYS_INLINE void qk_dw_neon_gather(size_t nrows, const uint8_t* const* rows, size_t c, size_t n,
                                           uint8_t* buf, const uint8_t** brows) {
  memset(buf, 0, nrows * 8);
  for (size_t t = 0; t < nrows; t++) {
    memcpy(buf + t * 8, rows[t] + c, n);
    brows[t] = buf + t * 8;
  }
}

/* One output pixel, every channel. */
QK_DW_ALWAYS_INLINE void qk_dw_neon_pixel(size_t taps, int is_signed, int mode, size_t channels,
                                          const uint8_t* const* rows, const uint8_t* w, size_t block,
                                          uint8_t* out, const qk_dw_neon_out* o) {
  size_t c = 0;
  for (; c + 8 <= channels; c += 8, w += block) {
    vst1_u8(out + c, qk_dw_neon_block8(taps, is_signed, mode, rows, c, w, o));
  }
  if (c < channels) {
    uint8_t buf[QK_DWCONV_MAX_TAPS * 8];
    const uint8_t* brows[QK_DWCONV_MAX_TAPS];
    qk_dw_neon_gather(taps, rows, c, channels - c, buf, brows);
    uint8_t tmp[8];
    vst1_u8(tmp, qk_dw_neon_block8(taps, is_signed, mode, brows, 0, w, o));
    memcpy(out + c, tmp, channels - c);
  }
}

QK_DW_ALWAYS_INLINE void qk_dwconv_neon_mode(size_t taps, int is_signed, int mode, size_t channels,
                                             size_t output_width, const size_t* indirection, size_t step,
                                             const void* input, const void* zero, const void* weights, void* output,
                                             size_t output_stride, const qk_dwconv_params* params) {
  const size_t block = qk_dwconv_block_bytes(8, taps, 1, mode);
  const qk_dw_neon_out o = qk_dw_neon_out_init(params);
  uint8_t* out = (uint8_t*) output;
  for (size_t px = 0; px < output_width; px++) {
    const uint8_t* rows[QK_DWCONV_MAX_TAPS];
#pragma GCC unroll 25
    for (size_t t = 0; t < taps; t++) rows[t] = qk_dwconv_tap(indirection[t], input, zero);
    qk_dw_neon_pixel(taps, is_signed, mode, channels, rows, (const uint8_t*) weights, block, out, &o);
    indirection += step;
    out += output_stride;
  }
}

QK_DW_ALWAYS_INLINE void qk_dwconv_neon(size_t taps, int is_signed, size_t channels, size_t output_width,
                                        const size_t* indirection, size_t step, const void* input, const void* zero,
                                        const void* weights, void* output, size_t output_stride,
                                        const qk_dwconv_params* params) {
  if (params->mode == QK_DWCONV_FP32) {
    qk_dwconv_neon_mode(taps, is_signed, QK_DWCONV_FP32, channels, output_width, indirection, step, input, zero,
                        weights, output, output_stride, params);
  } else {
    qk_dwconv_neon_mode(taps, is_signed, QK_DWCONV_GEMMLOWP, channels, output_width, indirection, step, input,
                        zero, weights, output, output_stride, params);
  }
}

#endif
