/* Scalar reference for fp32-mode requantization; every SIMD twin must match it. */
#include "qkernels/requant.h"

void qs8_requant_fp32_ukernel__scalar(size_t n, const int32_t* input, void* output, float scale,
                                      const qk_qparams* params) {
  int8_t* out = (int8_t*) output;
  for (size_t i = 0; i < n; i++) out[i] = (int8_t) qk_requant_fp32(input[i], scale, params);
}

void qu8_requant_fp32_ukernel__scalar(size_t n, const int32_t* input, void* output, float scale,
                                      const qk_qparams* params) {
  uint8_t* out = (uint8_t*) output;
  for (size_t i = 0; i < n; i++) out[i] = (uint8_t) qk_requant_fp32(input[i], scale, params);
}
