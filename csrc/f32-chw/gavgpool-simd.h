/* Global average pooling of CHW planes, the ISA-independent part of the
 * 4-lane SIMD variants (4-lane vector ops from vec-sse2.h or vec-neon.h,
 * see vec.h).
 *
 * One 4-lane partial sum per plane (element i into lane i % 4), reduced as
 * (l0 + l1) + (l2 + l3) by qk_vec_sum_pairs: the scalar twin's exact order.
 * Four planes run side by side so four independent add chains hide the add
 * latency (one chain would wait on each add).  The tail (< 4 elements) is a
 * zero-filled partial load, never a read past the plane. */
#ifndef QK_F32_CHW_GAVGPOOL_SIMD_H
#define QK_F32_CHW_GAVGPOOL_SIMD_H

#include "qkernels/chw.h"

QK_INLINE float qk_gavgpool_finish(qk_vec acc, float scale, const qk_chw_params* params) {
  return qk_chw_clamp(qk_vec_sum_pairs(acc) * scale, params);
}

QK_INLINE void qk_gavgpool_chw_4_simd(size_t channels, size_t elements, const float* input, float* output,
                                      float scale, const qk_chw_params* params) {
  const size_t tail = elements % 4;
  const size_t body = elements - tail;
  size_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    const float* x0 = input + c * elements;
    const float* x1 = x0 + elements;
    const float* x2 = x1 + elements;
    const float* x3 = x2 + elements;
    qk_vec a0 = qk_vec_zero(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < body; i += 4) {
      a0 = qk_vec_add(a0, qk_vec_loadu(x0 + i));
      a1 = qk_vec_add(a1, qk_vec_loadu(x1 + i));
      a2 = qk_vec_add(a2, qk_vec_loadu(x2 + i));
      a3 = qk_vec_add(a3, qk_vec_loadu(x3 + i));
    }
    if (tail) {
      a0 = qk_vec_add(a0, qk_vec_load_n(x0 + body, tail));
      a1 = qk_vec_add(a1, qk_vec_load_n(x1 + body, tail));
      a2 = qk_vec_add(a2, qk_vec_load_n(x2 + body, tail));
      a3 = qk_vec_add(a3, qk_vec_load_n(x3 + body, tail));
    }
    output[c] = qk_gavgpool_finish(a0, scale, params);
    output[c + 1] = qk_gavgpool_finish(a1, scale, params);
    output[c + 2] = qk_gavgpool_finish(a2, scale, params);
    output[c + 3] = qk_gavgpool_finish(a3, scale, params);
  }
  for (; c < channels; c++) {
    const float* x = input + c * elements;
    qk_vec a = qk_vec_zero();
    for (size_t i = 0; i < body; i += 4) a = qk_vec_add(a, qk_vec_loadu(x + i));
    if (tail) a = qk_vec_add(a, qk_vec_load_n(x + body, tail));
    output[c] = qk_gavgpool_finish(a, scale, params);
  }
}

#define QK_GAVGPOOL_CHW_4_SIMD(NAME)                                                                      \
  void NAME(size_t channels, size_t elements, const float* input, float* output, float scale,            \
            const qk_chw_params* params) {                                                                \
    qk_gavgpool_chw_4_simd(channels, elements, input, output, scale, params);                             \
  }

#endif
