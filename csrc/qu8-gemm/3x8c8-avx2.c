/* qu8 GEMM/IGEMM, AVX2, 3 rows x 8 columns, kr = 8.  Tile rationale and
 * tails: include/qkernels/gemm-3x8c8-avx2.h.  vpmovzxbw widens both
 * operands; w_zp is subtracted from the weights in int16 (-255..255), the
 * activation zero point is already folded into the packed bias. */
#include "qkernels/gemm-3x8c8-avx2.h"

#define WIDEN_A(x) _mm256_cvtepu8_epi16(x)
#define WIDEN_W(x, vwzp) _mm256_sub_epi16(_mm256_cvtepu8_epi16(x), vwzp)

QK_DEFINE_GEMM_3X8C8_AVX2(qu8_gemm_ukernel_3x8c8__avx2, WIDEN_A, WIDEN_W, _mm256_packus_epi16, _mm256_max_epu8,
                          _mm256_min_epu8)
