/* 32-bit transpose (HWC <-> CHW conversion): the scalar twin.  Walks 4
 * input rows at a time, like the SIMD variants' 4x4 blocks, so each output
 * row is written 4 elements at a time; it only moves bits, so any order
 * gives the same result. */
#include "qkernels/chw.h"

void x32_transpose_chw_ukernel_4x4__scalar(size_t rows, size_t cols, const uint32_t* input, size_t input_stride,
                                           uint32_t* output, size_t output_stride) {
  for (size_t r0 = 0; r0 < rows; r0 += 4) {
    const size_t nr = rows - r0 < 4 ? rows - r0 : 4;
    for (size_t c = 0; c < cols; c++) {
      for (size_t r = r0; r < r0 + nr; r++) output[c * output_stride + r] = input[r * input_stride + c];
    }
  }
}
