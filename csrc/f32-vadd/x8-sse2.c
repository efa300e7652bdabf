/* fp32 elementwise add with clamp, SSE (baseline of every x86-64, filed under
 * sse2, the lowest dispatch level), 8 elements per step: two independent
 * 4-lane chains hide the add latency.  maxps(min, x) is exactly
 * "min > x ? min : x" and minps(max, x) "max < x ? max : x" (each returns
 * its second operand when the comparison is false, NaN and signed zeros
 * included), i.e. qk_f32_add_clamp.  The tail of 1..7 elements uses that
 * scalar helper on exactly the remaining elements. */
#include <emmintrin.h>

#include "qkernels/vadd.h"

void f32_vadd_ukernel_x8__sse2(size_t n, const float* a, const float* b, float* y, const qk_f32_minmax* params) {
  const __m128 vmin = _mm_set1_ps(params->min);
  const __m128 vmax = _mm_set1_ps(params->max);
  for (; n >= 8; n -= 8, a += 8, b += 8, y += 8) {
    __m128 y0 = _mm_add_ps(_mm_loadu_ps(a), _mm_loadu_ps(b));
    __m128 y1 = _mm_add_ps(_mm_loadu_ps(a + 4), _mm_loadu_ps(b + 4));
    y0 = _mm_min_ps(vmax, _mm_max_ps(vmin, y0));
    y1 = _mm_min_ps(vmax, _mm_max_ps(vmin, y1));
    _mm_storeu_ps(y, y0);
    _mm_storeu_ps(y + 4, y1);
  }
  for (size_t i = 0; i < n; i++) y[i] = qk_f32_add_clamp(a[i], b[i], params);
}
