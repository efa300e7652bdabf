/* qs8 elementwise add, AVX2, 32 elements per step: the SSE4.1 arithmetic on
 * 8 int32 lanes, so each step needs half the instructions per element.
 * Body and data movement: include/qkernels/glue-avx2.h. */
#include "qkernels/glue-avx2.h"

void qs8_vadd_ukernel_x32__avx2(size_t n, const void* a, const void* b, void* y, const qk_vadd_params* params) {
  qk_vadd_x32_avx2(n, a, b, y, params, 1);
}
