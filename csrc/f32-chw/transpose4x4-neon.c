/* 32-bit transpose (HWC <-> CHW conversion), NEON (armv7 and aarch64): 4x4
 * blocks through registers (4 loads, vtrn + vcombine, 4 stores), so reads
 * and writes are 16-byte runs.  Edges (rows or columns not a multiple of 4)
 * are copied element by element: no access outside the matrix.  Integer
 * moves only: floats, NaN payloads and ints survive bit for bit. */
#include <arm_neon.h>

#include "qkernels/chw.h"

void x32_transpose_chw_ukernel_4x4__neon(size_t rows, size_t cols, const uint32_t* input, size_t input_stride,
                                         uint32_t* output, size_t output_stride) {
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const uint32_t* i0 = input + r * input_stride;
    const uint32_t* i1 = i0 + input_stride;
    const uint32_t* i2 = i1 + input_stride;
    const uint32_t* i3 = i2 + input_stride;
    size_t c = 0;
    for (; c + 4 <= cols; c += 4) {
      const uint32x4x2_t t01 = vtrnq_u32(vld1q_u32(i0 + c), vld1q_u32(i1 + c)); /* a0 b0 a2 b2 | a1 b1 a3 b3 */
      const uint32x4x2_t t23 = vtrnq_u32(vld1q_u32(i2 + c), vld1q_u32(i3 + c)); /* d0 e0 d2 e2 | d1 e1 d3 e3 */
      uint32_t* o = output + c * output_stride + r;
      vst1q_u32(o, vcombine_u32(vget_low_u32(t01.val[0]), vget_low_u32(t23.val[0])));
      vst1q_u32(o + output_stride, vcombine_u32(vget_low_u32(t01.val[1]), vget_low_u32(t23.val[1])));
      vst1q_u32(o + 2 * output_stride, vcombine_u32(vget_high_u32(t01.val[0]), vget_high_u32(t23.val[0])));
      vst1q_u32(o + 3 * output_stride, vcombine_u32(vget_high_u32(t01.val[1]), vget_high_u32(t23.val[1])));
    }
    for (; c < cols; c++) {
      uint32_t* o = output + c * output_stride + r;
      o[0] = i0[c];
      o[1] = i1[c];
      o[2] = i2[c];
      o[3] = i3[c];
    }
  }
  for (; r < rows; r++) {
    for (size_t c = 0; c < cols; c++) output[c * output_stride + r] = input[r * input_stride + c];
  }
}
