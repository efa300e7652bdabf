/* Global average pooling of CHW planes, SSE2.
 *
 * One 4-lane partial sum per plane (element i into lane i % 4), reduced as
 * (l0 + l1) + (l2 + l3): the scalar twin's exact order.  Four planes run
 * side by side so four independent add chains hide the addps latency (one
 * chain would wait on each add).  The tail (< 4 elements) is a zero-filled
 * partial load, never a read past the plane. */
#include <emmintrin.h>

#include "qkernels/chw.h"

QK_INLINE __m128 load_tail(const float* p, size_t n) {
  float tmp[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (size_t i = 0; i < n; i++) tmp[i] = p[i];
  return _mm_loadu_ps(tmp);
}

QK_INLINE float finish(__m128 acc, float scale, const qk_chw_params* params) {
  float l[4];
  _mm_storeu_ps(l, acc);
  const float sum = (l[0] + l[1]) + (l[2] + l[3]);
  return qk_chw_clamp(sum * scale, params);
}

void f32_gavgpool_chw_ukernel_4__sse2(size_t channels, size_t elements, const float* input, float* output,
                                      float scale, const qk_chw_params* params) {
  const size_t tail = elements % 4;
  const size_t body = elements - tail;
  size_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    const float* x0 = input + c * elements;
    const float* x1 = x0 + elements;
    const float* x2 = x1 + elements;
    const float* x3 = x2 + elements;
    __m128 a0 = _mm_setzero_ps(), a1 = _mm_setzero_ps(), a2 = _mm_setzero_ps(), a3 = _mm_setzero_ps();
    for (size_t i = 0; i < body; i += 4) {
      a0 = _mm_add_ps(a0, _mm_loadu_ps(x0 + i));
      a1 = _mm_add_ps(a1, _mm_loadu_ps(x1 + i));
      a2 = _mm_add_ps(a2, _mm_loadu_ps(x2 + i));
      a3 = _mm_add_ps(a3, _mm_loadu_ps(x3 + i));
    }
    if (tail) {
      a0 = _mm_add_ps(a0, load_tail(x0 + body, tail));
      a1 = _mm_add_ps(a1, load_tail(x1 + body, tail));
      a2 = _mm_add_ps(a2, load_tail(x2 + body, tail));
      a3 = _mm_add_ps(a3, load_tail(x3 + body, tail));
    }
    output[c] = finish(a0, scale, params);
    output[c + 1] = finish(a1, scale, params);
    output[c + 2] = finish(a2, scale, params);
    output[c + 3] = finish(a3, scale, params);
  }
  for (; c < channels; c++) {
    const float* x = input + c * elements;
    __m128 a = _mm_setzero_ps();
    for (size_t i = 0; i < body; i += 4) a = _mm_add_ps(a, _mm_loadu_ps(x + i));
    if (tail) a = _mm_add_ps(a, load_tail(x + body, tail));
    output[c] = finish(a, scale, params);
  }
}
