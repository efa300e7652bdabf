/* fp32 elementwise add with clamp, scalar reference twin.  Four independent
 * elements per step so a compiler without SIMD still overlaps the adds;
 * each element goes through qk_f32_add_clamp (vadd.h), the definition every
 * SIMD variant reproduces bit for bit. */
#include "qkernels/vadd.h"

void f32_vadd_ukernel_x4__scalar(size_t n, const float* a, const float* b, float* y, const qk_f32_minmax* params) {
  for (; n >= 4; n -= 4, a += 4, b += 4, y += 4) {
    const float y0 = qk_f32_add_clamp(a[0], b[0], params);
    const float y1 = qk_f32_add_clamp(a[1], b[1], params);
    const float y2 = qk_f32_add_clamp(a[2], b[2], params);
    const float y3 = qk_f32_add_clamp(a[3], b[3], params);
    y[0] = y0;
    y[1] = y1;
    y[2] = y2;
    y[3] = y3;
  }
  for (size_t i = 0; i < n; i++) y[i] = qk_f32_add_clamp(a[i], b[i], params);
}
