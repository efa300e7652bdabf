/* Scalar reference for gemmlowp-mode (TFLite) requantization. */
#include "qkernels/requant.h"

void qs8_requant_gemmlowp_ukernel__scalar(size_t n, const int32_t* input, void* output, int32_t multiplier,
                                          uint32_t shift, const qk_qparams* params) {
  int8_t* out = (int8_t*) output;
  for (size_t i = 0; i < n; i++) out[i] = (int8_t) qk_requant_gemmlowp(input[i], multiplier, shift, params);
}

void qu8_requant_gemmlowp_ukernel__scalar(size_t n, const int32_t* input, void* output, int32_t multiplier,
                                          uint32_t shift, const qk_qparams* params) {
  uint8_t* out = (uint8_t*) output;
  for (size_t i = 0; i < n; i++) out[i] = (uint8_t) qk_requant_gemmlowp(input[i], multiplier, shift, params);
}
