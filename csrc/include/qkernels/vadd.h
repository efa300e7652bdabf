/* Elementwise addition of two same-shape tensors: quantized (qs8/qu8, TFLite
 * ADD semantics bit for bit) and fp32 with a clamp (CHW residual blocks).
 *
 * Quantized semantics (TFLite kernels/add.cc Prepare + the 8-bit AddFunc),
 * with every multiplier derived once in Python (qkernels.reference.add_params):
 *   shifted_i = (x_i - zp_i) * 2^20                       |shifted_i| < 2^28
 *   scaled_i  = RDBPOT(SRDHM(shifted_i, m_i), s_i)         m_i/2^31 * 2^-s_i = scale_i / (2 max(scale_1, scale_2)) <= 1/2
 *   y = clamp(RDBPOT(SRDHM(scaled_1 + scaled_2, m_out), s_out) + zp_out, qmin, qmax)
 * Every intermediate fits in int32 for any Q31 multipliers and shifts, not
 * only TFLite's (|scaled_i| <= 255 * 2^20 < 2^28, |sum| < 2^29), so SIMD
 * variants use 32-bit lanes without saturation concerns.  The scalar helper below is
 * the single definition; every SIMD variant equals it bit for bit. */
#ifndef QKERNELS_VADD_H
#define QKERNELS_VADD_H

#include "qkernels/dispatch.h"
#include "qkernels/requant.h"

#define QK_VADD_LEFT_SHIFT 20

typedef struct qk_vadd_params {
  int32_t a_zero_point, b_zero_point;       /* inside the dtype's range */
  int32_t a_multiplier, b_multiplier;       /* Q31 in [0, 2^31) */
  uint32_t a_shift, b_shift;                /* right shifts in [0, 31] */
  int32_t output_multiplier;                /* Q31 in [0, 2^31) */
  uint32_t output_shift;                    /* right shift in [0, 31] */
  qk_qparams output;                        /* zero point and clamp (fmin/fmax unused) */
} qk_vadd_params;

QK_INLINE int32_t qk_vadd_scale_input(int32_t x, int32_t zero_point, int32_t multiplier, uint32_t shift) {
  return qk_rdbpot(qk_srdhm((x - zero_point) * (INT32_C(1) << QK_VADD_LEFT_SHIFT), multiplier), shift);
}

/* One output element of the quantized add, as an int32 inside [qmin, qmax]. */
QK_INLINE int32_t qk_vadd_scalar(int32_t a, int32_t b, const qk_vadd_params* p) {
  const int32_t sum = qk_vadd_scale_input(a, p->a_zero_point, p->a_multiplier, p->a_shift) +
                      qk_vadd_scale_input(b, p->b_zero_point, p->b_multiplier, p->b_shift);
  return qk_requant_gemmlowp(sum, p->output_multiplier, p->output_shift, &p->output);
}

/* The input with the larger scale always gets the real multiplier
 * s / (2 s) = 1/2 exactly, i.e. (2^30, shift 0); then
 * SRDHM(d << 20, 2^30) = d << 19 exactly (d << 20 is even) and RDBPOT by 0
 * is the identity, so SIMD variants scale that input with one shift.  Pure
 * arithmetic identity: the result is the same bits either way. */
QK_INLINE int qk_vadd_is_half(int32_t multiplier, uint32_t shift) {
  return multiplier == (INT32_C(1) << 30) && shift == 0;
}

/* n elements of a and b (int8 for qs8, uint8 for qu8) -> y; a, b and y may
 * not overlap partially (y == a or y == b exactly is fine: each element is
 * read before it is written). */
typedef void (*qk_vadd_fn)(size_t n, const void* a, const void* b, void* y, const qk_vadd_params* params);

#define QK_DECLARE_VADD(tile, isa)                                                                        \
  void qs8_vadd_ukernel_##tile##__##isa(size_t, const void*, const void*, void*, const qk_vadd_params*); \
  void qu8_vadd_ukernel_##tile##__##isa(size_t, const void*, const void*, void*, const qk_vadd_params*);

QK_DECLARE_VADD(x1, scalar)
QK_DECLARE_VADD(x16, sse41)
QK_DECLARE_VADD(x32, avx2)
QK_DECLARE_VADD(x16, neon)

/* fp32: y = min(max(a + b, min), max), written exactly as the scalar
 * helper's comparisons so every variant returns the same bits, signed zeros
 * included (x86 maxps(min, x) / minps(max, x) are these ternaries; NEON uses
 * compare + select because its vmax/vmin order -0 < +0).  NaN propagates. */

QK_INLINE float qk_f32_add_clamp(float a, float b, const qk_f32_minmax* p) {
  float y = a + b;
  y = p->min > y ? p->min : y;
  y = p->max < y ? p->max : y;
  return y;
}

typedef void (*qk_f32_vadd_fn)(size_t n, const float* a, const float* b, float* y, const qk_f32_minmax* params);

void f32_vadd_ukernel_x4__scalar(size_t, const float*, const float*, float*, const qk_f32_minmax*);
void f32_vadd_ukernel_x8__sse2(size_t, const float*, const float*, float*, const qk_f32_minmax*);
void f32_vadd_ukernel_x16__avx2(size_t, const float*, const float*, float*, const qk_f32_minmax*);
void f32_vadd_ukernel_x8__neon(size_t, const float*, const float*, float*, const qk_f32_minmax*);

/* Drivers (csrc/ops/vadd.c): 1-D tiles of the flat arrays over the pool. */
void qk_run_vadd(const qk_ukernel* ukernel, size_t n, const void* a, const void* b, void* y,
                 const qk_vadd_params* params, size_t threads);
void qk_run_f32_vadd(const qk_ukernel* ukernel, size_t n, const float* a, const float* b, float* y,
                     const qk_f32_minmax* params, size_t threads);

#endif
