/* 32-bit transpose (HWC <-> CHW conversion), SSE2: each 4x4 block is 4
 * loads, the unpack/unpack-64 transpose and 4 stores (loops and edges in
 * transpose-simd.h).  Integer shuffles move bits only. */
#include <emmintrin.h>

#include "qkernels/chw.h"

QK_INLINE void transpose_4x4_sse2(const uint32_t* i0, const uint32_t* i1, const uint32_t* i2, const uint32_t* i3,
                                  uint32_t* o, size_t os) {
  const __m128i a = _mm_loadu_si128((const __m128i*) i0);
  const __m128i b = _mm_loadu_si128((const __m128i*) i1);
  const __m128i d = _mm_loadu_si128((const __m128i*) i2);
  const __m128i e = _mm_loadu_si128((const __m128i*) i3);
  const __m128i ab_lo = _mm_unpacklo_epi32(a, b); /* a0 b0 a1 b1 */
  const __m128i ab_hi = _mm_unpackhi_epi32(a, b); /* a2 b2 a3 b3 */
  const __m128i de_lo = _mm_unpacklo_epi32(d, e); /* d0 e0 d1 e1 */
  const __m128i de_hi = _mm_unpackhi_epi32(d, e); /* d2 e2 d3 e3 */
  _mm_storeu_si128((__m128i*) o, _mm_unpacklo_epi64(ab_lo, de_lo));
  _mm_storeu_si128((__m128i*) (o + os), _mm_unpackhi_epi64(ab_lo, de_lo));
  _mm_storeu_si128((__m128i*) (o + 2 * os), _mm_unpacklo_epi64(ab_hi, de_hi));
  _mm_storeu_si128((__m128i*) (o + 3 * os), _mm_unpackhi_epi64(ab_hi, de_hi));
}

#define QK_X32_TRANSPOSE_4X4 transpose_4x4_sse2
#include "transpose-simd.h"

QK_X32_TRANSPOSE_CHW_4X4_SIMD(x32_transpose_chw_ukernel_4x4__sse2)
