/* fp32 elementwise add with clamp, NEON (armv7 and aarch64), 8 elements per
 * step in two 4-lane chains.  The clamp is compare + select rather than
 * vmax/vmin: those order -0 below +0 and (aarch64) return NaN differently,
 * while "min > x ? min : x" / "max < x ? max : x" (qk_f32_add_clamp) keep x
 * whenever the comparison is false, so all variants return the same bits.
 * (armv7 NEON arithmetic flushes subnormal inputs and results to zero; that
 * is the hardware, not this kernel.)  The tail of 1..7 elements uses the
 * scalar helper on exactly the remaining elements. */
#include <arm_neon.h>

#include "qkernels/vadd.h"

static inline float32x4_t clamp4(float32x4_t x, float32x4_t vmin, float32x4_t vmax) {
  x = vbslq_f32(vcgtq_f32(vmin, x), vmin, x);
  return vbslq_f32(vcltq_f32(vmax, x), vmax, x);
}

void f32_vadd_ukernel_x8__neon(size_t n, const float* a, const float* b, float* y, const qk_f32_minmax* params) {
  const float32x4_t vmin = vdupq_n_f32(params->min);
  const float32x4_t vmax = vdupq_n_f32(params->max);
  for (; n >= 8; n -= 8, a += 8, b += 8, y += 8) {
    const float32x4_t y0 = vaddq_f32(vld1q_f32(a), vld1q_f32(b));
    const float32x4_t y1 = vaddq_f32(vld1q_f32(a + 4), vld1q_f32(b + 4));
    vst1q_f32(y, clamp4(y0, vmin, vmax));
    vst1q_f32(y + 4, clamp4(y1, vmin, vmax));
  }
  for (size_t i = 0; i < n; i++) y[i] = qk_f32_add_clamp(a[i], b[i], params);
}
