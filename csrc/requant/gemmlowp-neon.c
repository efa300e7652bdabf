/* gemmlowp-mode requantization, NEON (armv7 and aarch64), 16 values per step.
 * vqrdmulh is exactly SaturatingRoundingDoublingHighMul.  vrshl by -e rounds
 * half up; subtracting 1 from negative inputs first (the "fixup", as in
 * gemmlowp's NEON path) turns that into RoundingDivideByPOT's ties away from
 * zero.  For e = 0 the fixup mask is 0 and nothing changes. */
#include <arm_neon.h>

#include "qkernels/requant.h"

QK_INLINE int16x8_t requant8(const int32_t* p, int32x4_t vmult, int32x4_t vshift, int32x4_t vzp) {
  int32x4_t x0 = vqrdmulhq_s32(vld1q_s32(p), vmult);
  int32x4_t x1 = vqrdmulhq_s32(vld1q_s32(p + 4), vmult);
  x0 = vqaddq_s32(x0, vshrq_n_s32(vandq_s32(x0, vshift), 31));
  x1 = vqaddq_s32(x1, vshrq_n_s32(vandq_s32(x1, vshift), 31));
  x0 = vqaddq_s32(vrshlq_s32(x0, vshift), vzp);
  x1 = vqaddq_s32(vrshlq_s32(x1, vshift), vzp);
  return vcombine_s16(vqmovn_s32(x0), vqmovn_s32(x1)); /* saturation keeps order vs. the clamp */
}

#define QK_REQUANT_GEMMLOWP_NEON(NAME, TYPE, VT, DUP, STORE, NARROW, MAX, MIN)                           \
  void NAME(size_t n, const int32_t* input, void* output, int32_t multiplier, uint32_t shift,           \
            const qk_qparams* params) {                                                               \
    TYPE* out = (TYPE*) output;                                                                       \
    const int32x4_t vmult = vdupq_n_s32(multiplier);                                                  \
    const int32x4_t vshift = vdupq_n_s32(-(int32_t) shift);                                           \
    const int32x4_t vzp = vdupq_n_s32(params->zero_point);                                            \
    const VT vqmin = DUP((TYPE) params->qmin);                                                        \
    const VT vqmax = DUP((TYPE) params->qmax);                                                        \
    for (; n >= 16; n -= 16, input += 16, out += 16) {                                                \
      const int16x8_t lo = requant8(input, vmult, vshift, vzp);                                       \
      const int16x8_t hi = requant8(input + 8, vmult, vshift, vzp);                                   \
      STORE(out, MIN(MAX(NARROW(lo, hi), vqmin), vqmax));                                             \
    }                                                                                                 \
    for (size_t i = 0; i < n; i++) out[i] = (TYPE) qk_requant_gemmlowp(input[i], multiplier, shift, params); \
  }

#define narrow_s8(lo, hi) vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi))
#define narrow_u8(lo, hi) vcombine_u8(vqmovun_s16(lo), vqmovun_s16(hi))

QK_REQUANT_GEMMLOWP_NEON(qs8_requant_gemmlowp_ukernel__neon, int8_t, int8x16_t, vdupq_n_s8, vst1q_s8, narrow_s8,
                         vmaxq_s8, vminq_s8)
QK_REQUANT_GEMMLOWP_NEON(qu8_requant_gemmlowp_ukernel__neon, uint8_t, uint8x16_t, vdupq_n_u8, vst1q_u8, narrow_u8,
                         vmaxq_u8, vminq_u8)
