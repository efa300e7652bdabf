/* fp32 elementwise add with clamp, AVX (dispatched at the avx2 level, the
 * only 256-bit level), 16 elements per step in two 8-lane chains.
 * vmaxps/vminps keep the SSE operand semantics, so maxps(min, x) and
 * minps(max, x) equal qk_f32_add_clamp's ternaries bit for bit.  The tail of
 * 1..15 elements uses the scalar helper on exactly the remaining elements. */
#include <immintrin.h>

#include "qkernels/vadd.h"

void f32_vadd_ukernel_x16__avx2(size_t n, const float* a, const float* b, float* y, const qk_f32_minmax* params) {
  const __m256 vmin = _mm256_set1_ps(params->min);
  const __m256 vmax = _mm256_set1_ps(params->max);
  for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
    __m256 y0 = _mm256_add_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(b));
    __m256 y1 = _mm256_add_ps(_mm256_loadu_ps(a + 8), _mm256_loadu_ps(b + 8));
    y0 = _mm256_min_ps(vmax, _mm256_max_ps(vmin, y0));
    y1 = _mm256_min_ps(vmax, _mm256_max_ps(vmin, y1));
    _mm256_storeu_ps(y, y0);
    _mm256_storeu_ps(y + 8, y1);
  }
  for (size_t i = 0; i < n; i++) y[i] = qk_f32_add_clamp(a[i], b[i], params);
}
