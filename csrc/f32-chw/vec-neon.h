/* 4-lane float vector ops for the CHW kernel templates (see vec.h), NEON
 * (armv7 and aarch64). */
#ifndef QK_F32_CHW_VEC_NEON_H
#define QK_F32_CHW_VEC_NEON_H

#include <arm_neon.h>

#include "qkernels/chw.h"

typedef float32x4_t qk_vec;
#define QK_VEC_LANES 4

QK_INLINE qk_vec qk_vec_loadu(const float* p) { return vld1q_f32(p); }
QK_INLINE void qk_vec_storeu(float* p, qk_vec v) { vst1q_f32(p, v); }
QK_INLINE qk_vec qk_vec_dup(float x) { return vdupq_n_f32(x); }
/* ld1r: a load rather than a shuffle */
QK_INLINE qk_vec qk_vec_load_dup(const float* p) { return vld1q_dup_f32(p); }
QK_INLINE qk_vec qk_vec_zero(void) { return vdupq_n_f32(0.0f); }
QK_INLINE qk_vec qk_vec_add(qk_vec a, qk_vec b) { return vaddq_f32(a, b); }
QK_INLINE qk_vec qk_vec_mul(qk_vec a, qk_vec b) { return vmulq_f32(a, b); }
/* vmax/vmin return NaN for a NaN lane, like qk_chw_clamp */
QK_INLINE qk_vec qk_vec_clamp(qk_vec v, qk_vec vmin, qk_vec vmax) { return vminq_f32(vmaxq_f32(v, vmin), vmax); }

/* (l0 + l1) + (l2 + l3): the scalar twins' reduction order (so no vaddvq,
 * whose pairing is not specified the same way, and armv7 lacks it anyway). */
QK_INLINE float qk_vec_sum_pairs(qk_vec v) {
  return (vgetq_lane_f32(v, 0) + vgetq_lane_f32(v, 1)) + (vgetq_lane_f32(v, 2) + vgetq_lane_f32(v, 3));
}

/* r_c = lane c of the four inputs: vtrn pairs lanes, vcombine the halves. */
QK_INLINE void qk_vec_transpose4(qk_vec r[4]) {
  const float32x4x2_t t01 = vtrnq_f32(r[0], r[1]);
  const float32x4x2_t t23 = vtrnq_f32(r[2], r[3]);
  r[0] = vcombine_f32(vget_low_f32(t01.val[0]), vget_low_f32(t23.val[0]));
  r[1] = vcombine_f32(vget_low_f32(t01.val[1]), vget_low_f32(t23.val[1]));
  r[2] = vcombine_f32(vget_high_f32(t01.val[0]), vget_high_f32(t23.val[0]));
  r[3] = vcombine_f32(vget_high_f32(t01.val[1]), vget_high_f32(t23.val[1]));
}

#include "vec.h"

#endif
