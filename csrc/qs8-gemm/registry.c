/* Variants of the qs8 GEMM/IGEMM family, best first, scalar last.  The tile
 * (mr, nr, kr, sr) of each entry drives weight packing (gemm.h). */
#include "qkernels/dispatch.h"
#include "qkernels/gemm.h"

static const qk_ukernel qs8_gemm_variants[] = {
#if defined(QK_ARCH_AARCH64) && defined(QK_BUILD_NEONI8MM)
    QK_UKERNEL(qs8_gemm_ukernel_4x16c8__neoni8mm, QK_ISA_NEONI8MM, 4, 16, 8, 1),
#endif
#if defined(QK_ARCH_AARCH64) && defined(QK_BUILD_NEONDOT)
    QK_UKERNEL(qs8_gemm_ukernel_4x16c4__neondot, QK_ISA_NEONDOT, 4, 16, 4, 1),
#endif
#if defined(QK_ARCH_X86) && defined(QK_BUILD_AVX512VNNI)
    QK_UKERNEL_PACK(qs8_gemm_ukernel_8x32c4__avx512vnni, QK_ISA_AVX512VNNI, 8, 32, 4, 1, QK_GEMM_PACK_X80),
#endif
#if defined(QK_ARCH_X86) && defined(QK_BUILD_AVX2)
    QK_UKERNEL(qs8_gemm_ukernel_3x8c8__avx2, QK_ISA_AVX2, 3, 8, 8, 1),
#endif
#if defined(QK_ARCH_X86) && defined(QK_BUILD_SSE41)
    QK_UKERNEL(qs8_gemm_ukernel_3x4c8__sse41, QK_ISA_SSE41, 3, 4, 8, 1),
#endif
#if defined(QK_ARCH_AARCH64) && defined(QK_BUILD_NEON)
    QK_UKERNEL(qs8_gemm_ukernel_4x4c16__neon, QK_ISA_NEON, 4, 4, 16, 1),
#endif
#if defined(QK_ARCH_ARMV7) && defined(QK_BUILD_NEON)
    QK_UKERNEL(qs8_gemm_ukernel_2x4c16__neon, QK_ISA_NEON, 2, 4, 16, 1),
#endif
#if (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
    QK_UKERNEL(qs8_gemm_ukernel_4x8__neon, QK_ISA_NEON, 4, 8, 1, 1),
#endif
    QK_UKERNEL(qs8_gemm_ukernel_2x4__scalar, QK_ISA_SCALAR, 2, 4, 1, 1),
};

QK_FAMILY(qs8_gemm)
