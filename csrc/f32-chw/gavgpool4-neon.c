/* Global average pooling of CHW planes, NEON (armv7 and aarch64).
 *
 * One 4-lane partial sum per plane (element i into lane i % 4), reduced as
 * (l0 + l1) + (l2 + l3): the scalar twin's exact order (so no vaddvq, whose
 * pairing is not specified the same way, and armv7 lacks it anyway).  Four
 * planes run side by side: four independent add chains hide the vaddq
 * latency.  The tail (< 4 elements) is a zero-filled partial load, never a
 * read past the plane. */
#include <arm_neon.h>

#include "qkernels/chw.h"

QK_INLINE float32x4_t load_tail(const float* p, size_t n) {
  float tmp[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (size_t i = 0; i < n; i++) tmp[i] = p[i];
  return vld1q_f32(tmp);
}

QK_INLINE float finish(float32x4_t acc, float scale, const qk_chw_params* params) {
  const float sum = (vgetq_lane_f32(acc, 0) + vgetq_lane_f32(acc, 1)) +
                    (vgetq_lane_f32(acc, 2) + vgetq_lane_f32(acc, 3));
  return qk_chw_clamp(sum * scale, params);
}

void f32_gavgpool_chw_ukernel_4__neon(size_t channels, size_t elements, const float* input, float* output,
                                      float scale, const qk_chw_params* params) {
  const size_t tail = elements % 4;
  const size_t body = elements - tail;
  size_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    const float* x0 = input + c * elements;
    const float* x1 = x0 + elements;
    const float* x2 = x1 + elements;
    const float* x3 = x2 + elements;
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < body; i += 4) {
      a0 = vaddq_f32(a0, vld1q_f32(x0 + i));
      a1 = vaddq_f32(a1, vld1q_f32(x1 + i));
      a2 = vaddq_f32(a2, vld1q_f32(x2 + i));
      a3 = vaddq_f32(a3, vld1q_f32(x3 + i));
    }
    if (tail) {
      a0 = vaddq_f32(a0, load_tail(x0 + body, tail));
      a1 = vaddq_f32(a1, load_tail(x1 + body, tail));
      a2 = vaddq_f32(a2, load_tail(x2 + body, tail));
      a3 = vaddq_f32(a3, load_tail(x3 + body, tail));
    }
    output[c] = finish(a0, scale, params);
    output[c + 1] = finish(a1, scale, params);
    output[c + 2] = finish(a2, scale, params);
    output[c + 3] = finish(a3, scale, params);
  }
  for (; c < channels; c++) {
    const float* x = input + c * elements;
    float32x4_t a = vdupq_n_f32(0.0f);
    for (size_t i = 0; i < body; i += 4) a = vaddq_f32(a, vld1q_f32(x + i));
    if (tail) a = vaddq_f32(a, load_tail(x + body, tail));
    output[c] = finish(a, scale, params);
  }
}
