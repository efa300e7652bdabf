/* 32-bit transpose (HWC <-> CHW conversion), the ISA-independent part of
 * the SIMD variants: 4x4 blocks through registers, so reads and writes are
 * 16-byte runs; edges (rows or columns not a multiple of 4) are copied
 * element by element, so nothing outside the matrix is touched.  The
 * including .c file defines QK_X32_TRANSPOSE_4X4(i0, i1, i2, i3, o, os):
 * output rows o, o + os, o + 2*os, o + 3*os = the columns of the 4x4 block
 * whose input rows start at i0..i3.  Bits are only moved: floats, NaN
 * payloads and ints survive. */
#ifndef QK_F32_CHW_TRANSPOSE_SIMD_H
#define QK_F32_CHW_TRANSPOSE_SIMD_H

#include "qkernels/chw.h"

QK_INLINE void qk_x32_transpose_chw_4x4_simd(size_t rows, size_t cols, const uint32_t* input, size_t input_stride,
                                             uint32_t* output, size_t output_stride) {
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const uint32_t* i0 = input + r * input_stride;
    const uint32_t* i1 = i0 + input_stride;
    const uint32_t* i2 = i1 + input_stride;
    const uint32_t* i3 = i2 + input_stride;
    size_t c = 0;
    for (; c + 4 <= cols; c += 4) {
      QK_X32_TRANSPOSE_4X4(i0 + c, i1 + c, i2 + c, i3 + c, output + c * output_stride + r, output_stride);
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

#define QK_X32_TRANSPOSE_CHW_4X4_SIMD(NAME)                                                                 \
  void NAME(size_t rows, size_t cols, const uint32_t* input, size_t input_stride, uint32_t* output,         \
            size_t output_stride) {                                                                         \
    qk_x32_transpose_chw_4x4_simd(rows, cols, input, input_stride, output, output_stride);                  \
  }

#endif
