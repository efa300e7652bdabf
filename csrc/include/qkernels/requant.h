/* Requantization: int32 accumulators -> int8/uint8 outputs, bit-exact on
 * every ISA (DESIGN.md section 4).  The scalar helpers below are the single
 * definition of the arithmetic; every scalar kernel and every SIMD kernel's
 * tail uses them, and each SIMD body must equal them bit for bit.
 *
 * Scale parameters are computed once in Python (qkernels/_quant.py), never in
 * C, so the numpy reference and the kernels share one derivation:
 *   fp32:     s = float32(input_scale * weight_scale / output_scale)
 *   gemmlowp: (multiplier, right_shift) from TFLite's QuantizeMultiplier,
 *             restricted to real scales below 1 so the left shift is always 0
 *             and right_shift is in [0, 31]. */
#ifndef QKERNELS_REQUANT_H
#define QKERNELS_REQUANT_H

#include "qkernels/common.h"

/* Output side of every quantized kernel (per tensor). */
typedef struct qk_qparams {
  int32_t zero_point; /* output zero point, inside the dtype's range */
  int32_t qmin, qmax; /* clamp in quantized units, qmin <= qmax, inside the dtype */
  /* fp32 mode clamps before rounding, in units relative to the zero point:
   * fmin = qmin - zero_point and fmax = qmax - zero_point (exact in float).
   * Clamping first is equivalent because rounding is monotone and integers
   * are its fixed points; it keeps every SIMD conversion in range. */
  float fmin, fmax;
} qk_qparams;

QK_INLINE void qk_qparams_init(qk_qparams* p, int32_t zero_point, int32_t qmin, int32_t qmax) {
  p->zero_point = zero_point;
  p->qmin = qmin;
  p->qmax = qmax;
  p->fmin = (float) (qmin - zero_point);
  p->fmax = (float) (qmax - zero_point);
}

/* fp32 mode: clamp(rint(float(acc) * scale) + zp, qmin, qmax), rint = half to even.
 * Rounding uses the 1.5*2^23 "magic" addition: after the clamp |x| <= 510, and
 * for |x| < 2^22 adding 1.5*2^23 leaves the integer rint(x) in the low
 * mantissa bits, independent of the FPU rounding-mode API. */
QK_INLINE int32_t qk_requant_fp32(int32_t acc, float scale, const qk_qparams* p) {
  float x = (float) acc * scale;
  x = x < p->fmin ? p->fmin : x;
  x = x > p->fmax ? p->fmax : x;
  const float magic = 12582912.0f; /* 0x1.8p23 */
  float r = x + magic;
  int32_t bits;
  memcpy(&bits, &r, sizeof bits);
  return bits - INT32_C(0x4B400000) + p->zero_point;
}

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a*b / 2^31), ties away
 * from zero, saturating the single overflow case a == b == INT32_MIN. */
QK_INLINE int32_t qk_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t ab = (int64_t) a * (int64_t) b;
  const int64_t nudge = ab >= 0 ? (INT64_C(1) << 30) : (INT64_C(1) - (INT64_C(1) << 30));
  return (int32_t) ((ab + nudge) / (INT64_C(1) << 31)); /* C division truncates toward zero */
}

/* gemmlowp RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero; e in [0, 31]. */
QK_INLINE int32_t qk_rdbpot(int32_t x, uint32_t e) {
  const int32_t mask = (int32_t) ((UINT32_C(1) << e) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  /* Arithmetic right shift of a negative value: implementation-defined in C,
   * arithmetic on every compiler we build with (gcc, clang, MSVC). */
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

QK_INLINE int32_t qk_requant_gemmlowp(int32_t acc, int32_t multiplier, uint32_t shift, const qk_qparams* p) {
  int32_t y = qk_rdbpot(qk_srdhm(acc, multiplier), shift);
  /* |y| <= 2^31 * (multiplier / 2^31) / 2^shift < 2^31, so adding zp cannot
   * overflow unless y is near the int32 limits; clamp in int64 to be safe. */
  int64_t z = (int64_t) y + p->zero_point;
  z = z < p->qmin ? p->qmin : z;
  z = z > p->qmax ? p->qmax : z;
  return (int32_t) z;
}

/* Standalone requantization microkernels (the foundation's end-to-end family).
 * Per-tensor scale; `output` is int8_t* for qs8 and uint8_t* for qu8. */
typedef void (*qk_requant_fp32_fn)(size_t n, const int32_t* input, void* output, float scale,
                                   const qk_qparams* params);
typedef void (*qk_requant_gemmlowp_fn)(size_t n, const int32_t* input, void* output, int32_t multiplier,
                                       uint32_t shift, const qk_qparams* params);

#define QK_DECLARE_REQUANT(isa)                                                                              \
  void qs8_requant_fp32_ukernel__##isa(size_t, const int32_t*, void*, float, const qk_qparams*);             \
  void qu8_requant_fp32_ukernel__##isa(size_t, const int32_t*, void*, float, const qk_qparams*);             \
  void qs8_requant_gemmlowp_ukernel__##isa(size_t, const int32_t*, void*, int32_t, uint32_t, const qk_qparams*); \
  void qu8_requant_gemmlowp_ukernel__##isa(size_t, const int32_t*, void*, int32_t, uint32_t, const qk_qparams*);

QK_DECLARE_REQUANT(scalar)
QK_DECLARE_REQUANT(sse2)
QK_DECLARE_REQUANT(sse41)
QK_DECLARE_REQUANT(neon)

#endif
