/* The depthwise CHW microkernel signature, shared by dwconv-scalar.h and
 * dwconv-simd.h: each dwconv<K>x<K>s<S>p<P>-<isa>.c file instantiates its
 * ISA's implementation IMPL with constant K, S, P, so the compiler
 * specializes (and unrolls) the loops for that shape. */
#ifndef QK_F32_CHW_DWCONV_H
#define QK_F32_CHW_DWCONV_H

#include "qkernels/chw.h"

#define QK_DWCONV2D_CHW_DEFINE(NAME, IMPL, K, S, P)                                                      \
  void NAME(size_t input_height, size_t input_width, size_t output_y_start, size_t output_y_end,        \
            const float* input, const float* weights, float* output, const qk_chw_params* params) {     \
    IMPL(K, S, P, input_height, input_width, output_y_start, output_y_end, input, weights, output, params); \
  }

#endif
