/* qu8 GEMM/IGEMM, SSE4.1, 3 rows x 4 columns, kr = 8.  Tile rationale and
 * tails: include/qkernels/gemm-3x4c8-sse41.h.  Activations are zero-extended
 * (0..255); weights are zero-extended and w_zp is subtracted in int16, giving
 * -255..255, so each pmaddwd pair sum stays far inside int32.  The activation
 * zero point is already in the packed bias. */
#include "qkernels/gemm-3x4c8-sse41.h"

#define WIDEN_A(x) _mm_cvtepu8_epi16(x)
#define WIDEN_W(x, vwzp) _mm_sub_epi16(_mm_cvtepu8_epi16(x), vwzp)

QK_DEFINE_GEMM_3X4C8_SSE41(qu8_gemm_ukernel_3x4c8__sse41, WIDEN_A, WIDEN_W, _mm_packus_epi16, _mm_max_epu8,
                           _mm_min_epu8)
