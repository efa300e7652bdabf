/* fp32-mode requantization, SSE2, 16 values per step.
 * Clamp in float (relative to the zero point) before converting, so the
 * conversion never overflows and the int16 packs never saturate; cvtps
 * rounds half to even under the default MXCSR mode, like the scalar
 * reference's magic-number addition. The tail (< 16) uses the scalar helper,
 * which reads and writes exactly the remaining elements. */
#include <emmintrin.h>

#include "qkernels/requant.h"

QK_INLINE __m128i requant4(const int32_t* p, __m128 vscale, __m128 vmin, __m128 vmax) {
  __m128 x = _mm_mul_ps(_mm_cvtepi32_ps(_mm_loadu_si128((const __m128i*) p)), vscale);
  x = _mm_min_ps(_mm_max_ps(x, vmin), vmax);
  return _mm_cvtps_epi32(x);
}

#define QK_REQUANT_FP32_SSE2(NAME, TYPE, PACK)                                                          \
  void NAME(size_t n, const int32_t* input, void* output, float scale, const qk_qparams* params) {    \
    TYPE* out = (TYPE*) output;                                                                     \
    const __m128 vscale = _mm_set1_ps(scale);                                                       \
    const __m128 vmin = _mm_set1_ps(params->fmin);                                                  \
    const __m128 vmax = _mm_set1_ps(params->fmax);                                                  \
    const __m128i vzp = _mm_set1_epi16((int16_t) params->zero_point);                               \
    for (; n >= 16; n -= 16, input += 16, out += 16) {                                              \
      __m128i lo = _mm_adds_epi16(_mm_packs_epi32(requant4(input, vscale, vmin, vmax),              \
                                                  requant4(input + 4, vscale, vmin, vmax)), vzp);   \
      __m128i hi = _mm_adds_epi16(_mm_packs_epi32(requant4(input + 8, vscale, vmin, vmax),          \
                                                  requant4(input + 12, vscale, vmin, vmax)), vzp);  \
      _mm_storeu_si128((__m128i*) out, PACK(lo, hi));                                               \
    }                                                                                               \
    for (size_t i = 0; i < n; i++) out[i] = (TYPE) qk_requant_fp32(input[i], scale, params);        \
  }

QK_REQUANT_FP32_SSE2(qs8_requant_fp32_ukernel__sse2, int8_t, _mm_packs_epi16)
QK_REQUANT_FP32_SSE2(qu8_requant_fp32_ukernel__sse2, uint8_t, _mm_packus_epi16)
