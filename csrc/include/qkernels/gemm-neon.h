/* NEON helpers of the Arm 8-bit GEMM kernels (armv7 and aarch64): exact-length
 * tail loads and stores, and the requantization epilogue.  Include only from
 * files compiled with NEON enabled (csrc/q?8-gemm/<tile>-neon*.c).
 *
 * Epilogue.  Every kernel turns 8 int32 accumulators (bias included) into 8
 * int16 "zero-point-less" values with qk_neon_fp32_x8 or qk_neon_gemmlowp_x8,
 * then 16 of those into 16 output bytes with qk_neon_pack_s8/u8 (adds the
 * output zero point, narrows, clamps).  Why this equals requant.h bit for bit:
 *
 *   fp32, aarch64: r = fcvtns(float(acc) * s) is rint(x) (ties to even),
 *     saturated to int32.  Then sat16(r) + zp (saturating int16), sat8, and the
 *     clamp to [qmin, qmax] in 8 bits.  Every saturation is monotone and its
 *     bounds enclose [qmin, qmax], and rint(clamp(x)) = clamp(rint(x)) because
 *     the clamp bounds are integers, so the result is
 *     clamp(rint(x) + zp, qmin, qmax) = qk_requant_fp32.
 *   fp32, armv7 (no fcvtns): x is clamped to [fmin, fmax] first (|x| <= 255),
 *     then x + 1.5*2^23 has bits 0x4B400000 + rint(x) (the scalar helper's own
 *     trick); the low 16 bits of that, taken by a non-saturating narrow, are
 *     rint(x) as int16.  Then the same zp / narrow / clamp steps (the clamp is
 *     a no-op there).
 *   gemmlowp: vqrdmulh is SaturatingRoundingDoublingHighMul exactly.  For
 *     RoundingDivideByPOT(x, e), vrshl by -e rounds ties up; adding -1 to
 *     negative x first (only when e > 0: the mask -e has its sign bit set)
 *     makes that ties away from zero.  x - 1 cannot wrap: the multiplier is
 *     below 2^31, so |srdhm| < 2^31.  Then sat16 + zp, sat8 and the clamp, as
 *     above (the scalar helper adds zp in int64 and clamps: same result).
 *
 * Tails: qk_neon_load_tail8/16 read exactly n bytes (GPR loads of 4/2/1 bytes)
 * and zero the rest; qk_neon_store_tail8 writes exactly n bytes. */
#ifndef QKERNELS_GEMM_NEON_H
#define QKERNELS_GEMM_NEON_H

#include <arm_neon.h>

#include "qkernels/gemm.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the NEON GEMM kernels assume little-endian lane order"
#endif

/* Output constants of one kernel call, hoisted out of the column loop. */
typedef struct qk_neon_out {
  int16x8_t zp;
  int8x16_t smin, smax; /* qs8 clamp */
  uint8x16_t umin, umax; /* qu8 clamp */
#if !defined(__aarch64__)
  float32x4_t fmin, fmax, magic;
#endif
} qk_neon_out;

QK_INLINE void qk_neon_out_init(qk_neon_out* o, const qk_gemm_params* params, int is_signed) {
  o->zp = vdupq_n_s16((int16_t) params->output.zero_point);
  if (is_signed) {
    o->smin = vdupq_n_s8((int8_t) params->output.qmin);
    o->smax = vdupq_n_s8((int8_t) params->output.qmax);
    o->umin = o->umax = vdupq_n_u8(0);
  } else {
    o->umin = vdupq_n_u8((uint8_t) params->output.qmin);
    o->umax = vdupq_n_u8((uint8_t) params->output.qmax);
    o->smin = o->smax = vdupq_n_s8(0);
  }
#if !defined(__aarch64__)
  o->fmin = vdupq_n_f32(params->output.fmin);
  o->fmax = vdupq_n_f32(params->output.fmax);
  o->magic = vdupq_n_f32(12582912.0f);
#endif
}

/* Unaligned little loads/stores of packed-block fields (bias, scales,
 * multipliers, shifts): byte loads carry no alignment assumption. */
QK_INLINE int32x4_t qk_neon_ld_s32(const uint8_t* p) { return vreinterpretq_s32_u8(vld1q_u8(p)); }
QK_INLINE float32x4_t qk_neon_ld_f32(const uint8_t* p) { return vreinterpretq_f32_u8(vld1q_u8(p)); }

/* fp32 mode for 8 accumulators with per-channel scales s0 (lanes 0-3) and s1. */
QK_INLINE int16x8_t qk_neon_fp32_x8(int32x4_t a0, int32x4_t a1, float32x4_t s0, float32x4_t s1,
                                    const qk_neon_out* o) {
  const float32x4_t x0 = vmulq_f32(vcvtq_f32_s32(a0), s0);
  const float32x4_t x1 = vmulq_f32(vcvtq_f32_s32(a1), s1);
#if defined(__aarch64__)
  (void) o;
  return vqmovn_high_s32(vqmovn_s32(vcvtnq_s32_f32(x0)), vcvtnq_s32_f32(x1));
#else
  const float32x4_t y0 = vaddq_f32(vminq_f32(vmaxq_f32(x0, o->fmin), o->fmax), o->magic);
  const float32x4_t y1 = vaddq_f32(vminq_f32(vmaxq_f32(x1, o->fmin), o->fmax), o->magic);
  return vcombine_s16(vmovn_s32(vreinterpretq_s32_f32(y0)), vmovn_s32(vreinterpretq_s32_f32(y1)));
#endif
}

/* gemmlowp mode for 4 accumulators: multiplier m, nshift = -shift per lane. */
QK_INLINE int32x4_t qk_neon_gemmlowp_x4(int32x4_t acc, int32x4_t m, int32x4_t nshift) {
  int32x4_t x = vqrdmulhq_s32(acc, m);
  x = vsraq_n_s32(x, vandq_s32(x, nshift), 31);
  return vrshlq_s32(x, nshift);
}

QK_INLINE int16x8_t qk_neon_gemmlowp_x8(int32x4_t a0, int32x4_t a1, int32x4_t m0, int32x4_t m1, int32x4_t n0,
                                        int32x4_t n1) {
  return vcombine_s16(vqmovn_s32(qk_neon_gemmlowp_x4(a0, m0, n0)), vqmovn_s32(qk_neon_gemmlowp_x4(a1, m1, n1)));
}

/* 16 zero-point-less values -> 16 output bytes (+zp, narrow, clamp). */
QK_INLINE uint8x16_t qk_neon_pack_s8(int16x8_t lo, int16x8_t hi, const qk_neon_out* o) {
  int8x16_t v = vcombine_s8(vqmovn_s16(vqaddq_s16(lo, o->zp)), vqmovn_s16(vqaddq_s16(hi, o->zp)));
  v = vminq_s8(vmaxq_s8(v, o->smin), o->smax);
  return vreinterpretq_u8_s8(v);
}
QK_INLINE uint8x16_t qk_neon_pack_u8(int16x8_t lo, int16x8_t hi, const qk_neon_out* o) {
  uint8x16_t v = vcombine_u8(vqmovun_s16(vqaddq_s16(lo, o->zp)), vqmovun_s16(vqaddq_s16(hi, o->zp)));
  return vminq_u8(vmaxq_u8(v, o->umin), o->umax);
}

/* The low n (0 <= n < 8) bytes at p, zero-extended: reads exactly n bytes.
 * Built from the end: the last 1, 2 and 4 bytes go into lane 0 in turn, the
 * vector shifted up past them each time (constant lane indices, no 64-bit
 * GPR shifts, unaligned-safe scalar loads). */
QK_INLINE uint8x8_t qk_neon_load_tail8(const uint8_t* p, size_t n) {
  const uint8x8_t vzero = vdup_n_u8(0);
  uint8x8_t v = vzero;
  const uint8_t* q = p + n;
  if (n & 1) {
    q -= 1;
    v = vset_lane_u8(*q, v, 0);
  }
  if (n & 2) {
    uint16_t h;
    q -= 2;
    memcpy(&h, q, sizeof h);
    v = vreinterpret_u8_u16(vset_lane_u16(h, vreinterpret_u16_u8(vext_u8(vzero, v, 6)), 0));
  }
  if (n & 4) {
    uint32_t x;
    q -= 4;
    memcpy(&x, q, sizeof x);
    v = vreinterpret_u8_u32(vset_lane_u32(x, vreinterpret_u32_u8(vext_u8(vzero, v, 4)), 0));
  }
  return v;
}

/* The low n (0 <= n < 16) bytes at p, zero-extended to 16. */
QK_INLINE uint8x16_t qk_neon_load_tail16(const uint8_t* p, size_t n) {
  if (n >= 8) return vcombine_u8(vld1_u8(p), qk_neon_load_tail8(p + 8, n - 8));
  return vcombine_u8(qk_neon_load_tail8(p, n), vdup_n_u8(0));
}

/* 16 bytes at *p, then *p += 16.  On armv7 an explicit post-incremented
 * vld1 (GCC otherwise recomputes every weight address from a base register,
 * 4 extra instructions per 64 bytes in the inner loops). */
QK_INLINE uint8x16_t qk_neon_ld16_inc(const uint8_t** p) {
#if defined(__aarch64__) || !defined(__GNUC__) || defined(__clang__)
  const uint8x16_t v = vld1q_u8(*p);
  *p += 16;
  return v;
#else
  uint8x16_t v;
  const uint8_t* q = *p;
  __asm__("vld1.8 {%e0-%f0}, [%1]!" : "=w"(v), "+r"(q) : "m"(*(const uint8_t(*)[16]) q));
  *p = q;
  return v;
#endif
}

/* Sum of the 4 lanes (modulo 2^32). */
QK_INLINE uint32_t qk_neon_hsum_u32(uint32x4_t v) {
#if defined(__aarch64__)
  return vaddvq_u32(v);
#else
  const uint32x2_t h = vadd_u32(vget_low_u32(v), vget_high_u32(v));
  return vget_lane_u32(vpadd_u32(h, h), 0);
#endif
}

/* sum over taps t < ks and k < kc of the bytes (as uint8) of tile row `row`,
 * modulo 2^32: the row sum of the qu8 kernels that multiply raw uint8 and
 * subtract w_zp * sum a at the end.  ap is the kernel's pointer array with mr
 * pointers per tap; every access is exact-length. */
QK_INLINE uint32_t qk_neon_row_sum(const void* const* ap, size_t mr, size_t row, size_t kc, size_t ks,
                                   size_t a_offset, const void* zero) {
  uint32x4_t vs = vdupq_n_u32(0);
  for (size_t t = 0; t < ks; t++) {
    const uint8_t* p = qk_gemm_row(ap[t * mr + row], zero, a_offset);
    size_t k = kc;
    for (; k >= 16; k -= 16, p += 16) vs = vpadalq_u16(vs, vpaddlq_u8(vld1q_u8(p)));
    if (k >= 8) {
      vs = vaddw_u16(vs, vpaddl_u8(vld1_u8(p)));
      p += 8;
      k -= 8;
    }
    if (k != 0) vs = vaddw_u16(vs, vpaddl_u8(qk_neon_load_tail8(p, k)));
  }
  return qk_neon_hsum_u32(vs);
}

/* Store the low n (0 <= n < 8) bytes of v at p. */
QK_INLINE void qk_neon_store_tail8(uint8_t* p, uint8x8_t v, size_t n) {
  if (n & 4) {
    vst1_lane_u32((void*) p, vreinterpret_u32_u8(v), 0);
    p += 4;
    v = vext_u8(v, v, 4);
  }
  if (n & 2) {
    vst1_lane_u16((void*) p, vreinterpret_u16_u8(v), 0);
    p += 2;
    v = vext_u8(v, v, 2);
  }
  if (n & 1) vst1_lane_u8(p, v, 0);
}

/* Store the low n (0 <= n < 16) bytes of v at p. */
QK_INLINE void qk_neon_store_tail16(uint8_t* p, uint8x16_t v, size_t n) {
  uint8x8_t lo = vget_low_u8(v);
  if (n & 8) {
    vst1_u8(p, lo);
    p += 8;
    lo = vget_high_u8(v);
  }
  qk_neon_store_tail8(p, lo, n & 7);
}

#endif
