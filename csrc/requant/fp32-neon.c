/* fp32-mode requantization, NEON (armv7 and aarch64), 16 values per step.
 * Rounding uses the same 1.5*2^23 magic addition as the scalar reference
 * (vcvtnq is ARMv8-only); clamping first keeps |x| <= 510, where the trick is
 * exact, and makes the narrowing moves lossless. */
#include <arm_neon.h>

#include "qkernels/requant.h"

QK_INLINE int16x8_t requant8(const int32_t* p, float32x4_t vscale, float32x4_t vmin, float32x4_t vmax,
                             float32x4_t vmagic, int32x4_t vbias) {
  float32x4_t x0 = vmulq_f32(vcvtq_f32_s32(vld1q_s32(p)), vscale);
  float32x4_t x1 = vmulq_f32(vcvtq_f32_s32(vld1q_s32(p + 4)), vscale);
  x0 = vaddq_f32(vminq_f32(vmaxq_f32(x0, vmin), vmax), vmagic);
  x1 = vaddq_f32(vminq_f32(vmaxq_f32(x1, vmin), vmax), vmagic);
  /* bits(x + magic) - bits(magic) + zero_point, in one subtraction */
  const int32x4_t y0 = vsubq_s32(vreinterpretq_s32_f32(x0), vbias);
  const int32x4_t y1 = vsubq_s32(vreinterpretq_s32_f32(x1), vbias);
  return vcombine_s16(vmovn_s32(y0), vmovn_s32(y1));
}

#define QK_REQUANT_FP32_NEON(NAME, TYPE, STORE, NARROW)                                                 \
  void NAME(size_t n, const int32_t* input, void* output, float scale, const qk_qparams* params) {    \
    TYPE* out = (TYPE*) output;                                                                     \
    const float32x4_t vscale = vdupq_n_f32(scale);                                                  \
    const float32x4_t vmin = vdupq_n_f32(params->fmin);                                             \
    const float32x4_t vmax = vdupq_n_f32(params->fmax);                                             \
    const float32x4_t vmagic = vdupq_n_f32(12582912.0f);                                            \
    const int32x4_t vbias = vdupq_n_s32(INT32_C(0x4B400000) - params->zero_point);                  \
    for (; n >= 16; n -= 16, input += 16, out += 16) {                                              \
      const int16x8_t lo = requant8(input, vscale, vmin, vmax, vmagic, vbias);                      \
      const int16x8_t hi = requant8(input + 8, vscale, vmin, vmax, vmagic, vbias);                  \
      STORE(out, vcombine_##NARROW(lo, hi));                                                        \
    }                                                                                               \
    for (size_t i = 0; i < n; i++) out[i] = (TYPE) qk_requant_fp32(input[i], scale, params);        \
  }

/* Values are already inside the dtype's range: narrowing cannot saturate. */
#define vcombine_s8n(lo, hi) vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi))
#define vcombine_u8n(lo, hi) vcombine_u8(vqmovun_s16(lo), vqmovun_s16(hi))

QK_REQUANT_FP32_NEON(qs8_requant_fp32_ukernel__neon, int8_t, vst1q_s8, s8n)
QK_REQUANT_FP32_NEON(qu8_requant_fp32_ukernel__neon, uint8_t, vst1q_u8, u8n)
