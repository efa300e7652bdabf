/* qu8 elementwise add, scalar reference twin: one element at a time through
 * qk_vadd_scalar (vadd.h), the single definition of the arithmetic. */
#include "qkernels/vadd.h"

void qu8_vadd_ukernel_x1__scalar(size_t n, const void* a, const void* b, void* y, const qk_vadd_params* params) {
  const uint8_t* pa = (const uint8_t*) a;
  const uint8_t* pb = (const uint8_t*) b;
  uint8_t* py = (uint8_t*) y;
  for (size_t i = 0; i < n; i++) py[i] = (uint8_t) qk_vadd_scalar(pa[i], pb[i], params);
}
