/* qs8 GEMM/IGEMM, AVX2, 3 rows x 8 columns, kr = 8.  Tile rationale and
 * tails: include/qkernels/gemm-3x8c8-avx2.h.  vpmovsxbw widens activations
 * and weights; qs8 has w_zp = 0, nothing to subtract. */
#include "qkernels/gemm-3x8c8-avx2.h"

#define WIDEN_A(x) _mm256_cvtepi8_epi16(x)
#define WIDEN_W(x, vwzp) _mm256_cvtepi8_epi16(x)

QK_DEFINE_GEMM_3X8C8_AVX2(qs8_gemm_ukernel_3x8c8__avx2, WIDEN_A, WIDEN_W, _mm256_packs_epi16, _mm256_max_epi8,
                          _mm256_min_epi8)
