/* qs8 GEMM/IGEMM, SSE4.1, 3 rows x 4 columns, kr = 8.  Tile rationale and
 * tails: include/qkernels/gemm-3x4c8-sse41.h.  Activations and weights are
 * sign-extended to int16 (pmovsxbw); w_zp is 0 for qs8, nothing to subtract. */
#include "qkernels/gemm-3x4c8-sse41.h"

#define WIDEN_A(x) _mm_cvtepi8_epi16(x)
#define WIDEN_W(x, vwzp) _mm_cvtepi8_epi16(x)

QK_DEFINE_GEMM_3X4C8_SSE41(qs8_gemm_ukernel_3x4c8__sse41, WIDEN_A, WIDEN_W, _mm_packs_epi16, _mm_max_epi8,
                           _mm_min_epi8)
