/* 32-bit transpose (HWC <-> CHW conversion), NEON (armv7 and aarch64): each
 * 4x4 block is 4 loads, vtrn + vcombine and 4 stores (loops and edges in
 * transpose-simd.h).  Integer moves only. */
#include <arm_neon.h>

#include "qkernels/chw.h"

QK_INLINE void transpose_4x4_neon(const uint32_t* i0, const uint32_t* i1, const uint32_t* i2, const uint32_t* i3,
                                  uint32_t* o, size_t os) {
  const uint32x4x2_t t01 = vtrnq_u32(vld1q_u32(i0), vld1q_u32(i1)); /* a0 b0 a2 b2 | a1 b1 a3 b3 */
  const uint32x4x2_t t23 = vtrnq_u32(vld1q_u32(i2), vld1q_u32(i3)); /* d0 e0 d2 e2 | d1 e1 d3 e3 */
  vst1q_u32(o, vcombine_u32(vget_low_u32(t01.val[0]), vget_low_u32(t23.val[0])));
  vst1q_u32(o + os, vcombine_u32(vget_low_u32(t01.val[1]), vget_low_u32(t23.val[1])));
  vst1q_u32(o + 2 * os, vcombine_u32(vget_high_u32(t01.val[0]), vget_high_u32(t23.val[0])));
  vst1q_u32(o + 3 * os, vcombine_u32(vget_high_u32(t01.val[1]), vget_high_u32(t23.val[1])));
}

#define QK_X32_TRANSPOSE_4X4 transpose_4x4_neon
#include "transpose-simd.h"

QK_X32_TRANSPOSE_CHW_4X4_SIMD(x32_transpose_chw_ukernel_4x4__neon)
