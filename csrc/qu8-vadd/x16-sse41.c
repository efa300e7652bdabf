/* qu8 elementwise add, SSE4.1, 16 elements per step.  Why SSE4.1: pmuldq
 * (signed 32x32->64) gives SaturatingRoundingDoublingHighMul exactly and
 * pmovzxbw widens uint8 in one instruction; each step turns 16 bytes of a and
 * b into 4 x 4 int32 lanes, as wide as the 32-bit fixed-point arithmetic
 * needs.  Body and proofs: include/qkernels/glue-sse41.h. */
#include "qkernels/glue-sse41.h"

void qu8_vadd_ukernel_x16__sse41(size_t n, const void* a, const void* b, void* y, const qk_vadd_params* params) {
  qk_vadd_x16_sse41(n, a, b, y, params, 0);
}
