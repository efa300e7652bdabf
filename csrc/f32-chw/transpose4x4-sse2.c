/* 32-bit transpose (HWC <-> CHW conversion), SSE2: 4x4 blocks through
 * registers (4 loads, the unpack/movelh transpose, 4 stores), so both the
 * reads and the writes are 16-byte runs.  Edges (rows or columns not a
 * multiple of 4) are copied element by element: no access outside the
 * matrix.  Shuffles move bits only: floats, NaN payloads and ints survive. */
#include <emmintrin.h>

#include "qkernels/chw.h"

void x32_transpose_chw_ukernel_4x4__sse2(size_t rows, size_t cols, const uint32_t* input, size_t input_stride,
                                         uint32_t* output, size_t output_stride) {
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const uint32_t* i0 = input + r * input_stride;
    const uint32_t* i1 = i0 + input_stride;
    const uint32_t* i2 = i1 + input_stride;
    const uint32_t* i3 = i2 + input_stride;
    size_t c = 0;
    for (; c + 4 <= cols; c += 4) {
      const __m128i a = _mm_loadu_si128((const __m128i*) (i0 + c));
      const __m128i b = _mm_loadu_si128((const __m128i*) (i1 + c));
      const __m128i d = _mm_loadu_si128((const __m128i*) (i2 + c));
      const __m128i e = _mm_loadu_si128((const __m128i*) (i3 + c));
      const __m128i ab_lo = _mm_unpacklo_epi32(a, b); /* a0 b0 a1 b1 */
      const __m128i ab_hi = _mm_unpackhi_epi32(a, b); /* a2 b2 a3 b3 */
      const __m128i de_lo = _mm_unpacklo_epi32(d, e); /* d0 e0 d1 e1 */
      const __m128i de_hi = _mm_unpackhi_epi32(d, e); /* d2 e2 d3 e3 */
      uint32_t* o = output + c * output_stride + r;
      _mm_storeu_si128((__m128i*) o, _mm_unpacklo_epi64(ab_lo, de_lo));
      _mm_storeu_si128((__m128i*) (o + output_stride), _mm_unpackhi_epi64(ab_lo, de_lo));
      _mm_storeu_si128((__m128i*) (o + 2 * output_stride), _mm_unpacklo_epi64(ab_hi, de_hi));
      _mm_storeu_si128((__m128i*) (o + 3 * output_stride), _mm_unpackhi_epi64(ab_hi, de_hi));
    }
    for (; c < cols; c++) {
      uint32_t* o = output + c * output_stride + r;
      o[0] = i0[c];
      o[1] = i1[c];
      o[2] = i2[c];
      o[3] = i3[c];
    }
  }
  for (; r < rows; r++) {
    for (size_t c = 0; c < cols; c++) output[c * output_stride + r] = input[r * input_stride + c];
  }
}
