/* gemmlowp-mode requantization, SSE4.1, 16 values per step.
 *
 * The multiplier is positive, so we work on |acc| with unsigned 32x32->64
 * products (pmuludq) and restore the sign at the end with psignd:
 *   u = (|acc| * m + 2^30 - [acc < 0]) >> 31   SaturatingRoundingDoublingHighMul
 *   v = (u + 2^(e-1)) >> e                     RoundingDivideByPOT
 * SRDHM rounds ties toward +infinity, i.e. down in magnitude for negative
 * accumulators (hence the -1); RoundingDivideByPOT rounds ties away from
 * zero, i.e. half up in magnitude for both signs.  |acc| <= 2^31 and
 * m < 2^31 keep u below 2^31, so the 32-bit adds cannot wrap. */
#include <smmintrin.h>

#include "qkernels/requant.h"

QK_INLINE __m128i requant4(const int32_t* p, __m128i vmult, __m128i vround64, __m128i vround32, __m128i vshift) {
  const __m128i x = _mm_loadu_si128((const __m128i*) p);
  const __m128i ax = _mm_abs_epi32(x); /* INT32_MIN -> 0x80000000, read as unsigned 2^31 */
  const __m128i neg = _mm_srai_epi32(x, 31); /* -1 where acc < 0 */
  const __m128i round_even = _mm_add_epi64(vround64, _mm_shuffle_epi32(neg, _MM_SHUFFLE(2, 2, 0, 0)));
  const __m128i round_odd = _mm_add_epi64(vround64, _mm_shuffle_epi32(neg, _MM_SHUFFLE(3, 3, 1, 1)));
  const __m128i even = _mm_srli_epi64(_mm_add_epi64(_mm_mul_epu32(ax, vmult), round_even), 31);
  const __m128i odd = _mm_srli_epi64(_mm_add_epi64(_mm_mul_epu32(_mm_srli_epi64(ax, 32), vmult), round_odd), 31);
  const __m128i u = _mm_blend_epi16(even, _mm_slli_epi64(odd, 32), 0xCC);
  const __m128i v = _mm_srl_epi32(_mm_add_epi32(u, vround32), vshift);
  return _mm_sign_epi32(v, x);
}

#define QK_REQUANT_GEMMLOWP_SSE41(NAME, TYPE, PACK, MAX, MIN)                                             \
  void NAME(size_t n, const int32_t* input, void* output, int32_t multiplier, uint32_t shift,           \
            const qk_qparams* params) {                                                               \
    TYPE* out = (TYPE*) output;                                                                       \
    const __m128i vmult = _mm_set1_epi32(multiplier);                                                 \
    const __m128i vround64 = _mm_set1_epi64x(INT64_C(1) << 30);                                       \
    const __m128i vround32 = _mm_set1_epi32(shift == 0 ? 0 : (int32_t) (UINT32_C(1) << (shift - 1))); \
    const __m128i vshift = _mm_cvtsi32_si128((int) shift);                                            \
    const __m128i vzp = _mm_set1_epi16((int16_t) params->zero_point);                                 \
    const __m128i vqmin = _mm_set1_epi8((char) params->qmin);                                         \
    const __m128i vqmax = _mm_set1_epi8((char) params->qmax);                                         \
    for (; n >= 16; n -= 16, input += 16, out += 16) {                                                \
      /* packs saturate |y| to 32767 and adds saturates again: both keep the */                      \
      /* order against qmin/qmax (|q| <= 255), so the final clamp is exact.  */                      \
      __m128i lo = _mm_adds_epi16(_mm_packs_epi32(requant4(input, vmult, vround64, vround32, vshift),     \
                                                  requant4(input + 4, vmult, vround64, vround32, vshift)), \
                                  vzp);                                                               \
      __m128i hi = _mm_adds_epi16(_mm_packs_epi32(requant4(input + 8, vmult, vround64, vround32, vshift), \
                                                  requant4(input + 12, vmult, vround64, vround32, vshift)), \
                                  vzp);                                                               \
      __m128i q = MIN(MAX(PACK(lo, hi), vqmin), vqmax);                                               \
      _mm_storeu_si128((__m128i*) out, q);                                                            \
    }                                                                                                 \
    for (size_t i = 0; i < n; i++) out[i] = (TYPE) qk_requant_gemmlowp(input[i], multiplier, shift, params); \
  }

QK_REQUANT_GEMMLOWP_SSE41(qs8_requant_gemmlowp_ukernel__sse41, int8_t, _mm_packs_epi16, _mm_max_epi8, _mm_min_epi8)
QK_REQUANT_GEMMLOWP_SSE41(qu8_requant_gemmlowp_ukernel__sse41, uint8_t, _mm_packus_epi16, _mm_max_epu8, _mm_min_epu8)
