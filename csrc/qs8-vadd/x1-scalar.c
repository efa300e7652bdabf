/* qs8 elementwise add, scalar reference twin: one element at a time through
 * qk_vadd_scalar (vadd.h), the single definition of the arithmetic. */
#include "qkernels/vadd.h"

void qs8_vadd_ukernel_x1__scalar(size_t n, const void* a, const void* b, void* y, const qk_vadd_params* params) {
  const int8_t* pa = (const int8_t*) a;
  const int8_t* pb = (const int8_t*) b;
  int8_t* py = (int8_t*) y;
  for (size_t i = 0; i < n; i++) py[i] = (int8_t) qk_vadd_scalar(pa[i], pb[i], params);
}
