/* qu8 elementwise add, NEON (armv7 and aarch64), 16 elements per step: one
 * 16-byte load per input, vsubl to 16-bit differences, then 4 x 4 int32
 * lanes through vqrdmulh (exactly SaturatingRoundingDoublingHighMul) and a
 * fixed-up rounding shift.  Body and proofs: include/qkernels/glue-neon.h. */
#include "qkernels/glue-neon.h"

void qu8_vadd_ukernel_x16__neon(size_t n, const void* a, const void* b, void* y, const qk_vadd_params* params) {
  qk_vadd_x16_neon(n, a, b, y, params, 0);
}
