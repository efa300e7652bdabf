/* qs8 GEMM/IGEMM, AVX2, 6 rows x 16 columns, K pairs (kr = 2), weights
 * pre-widened to int16 (QK_GEMM_PACK_I16).  Tile rationale, measurements and
 * tails: include/qkernels/gemm-6x16c2-avx2.h.  Activations are sign-extended
 * (vpmovsxbw) once per call into the stack buffer. */
#include "qkernels/gemm-6x16c2-avx2.h"

#define WIDEN(x) _mm256_cvtepi8_epi16(x)
#define WIDEN8(x) _mm_cvtepi8_epi16(x)

/* weights: int16 as packed, 16 columns x 2 k (32 bytes) per load */
#define QK_C2_WB 32
#define QK_C2_WLOAD(p) _mm256_loadu_si256((const __m256i*) (p))
#define QK_C2_CLAMP_LO(x) _mm256_max_epi8(x, vqmin)
#define QK_C2_CLAMP(x) _mm256_min_epi8(_mm256_max_epi8(x, vqmin), vqmax)

QK_DEFINE_GEMM_6X16C2_AVX2(qs8_gemm_ukernel_6x16c2__avx2, WIDEN, WIDEN8, _mm256_packs_epi16)
