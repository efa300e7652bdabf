/* Variants of the sparse fp32 1x1 conv microkernel, best first.
 * mr = pixels per tile, nr = largest channel group (every variant reads the
 * same packed format, so any of them can run any packed weight). */
#include "qkernels/dispatch.h"
#include "qkernels/spmm.h"

static const qk_ukernel f32_spmm_variants[] = {
#if defined(QK_ARCH_X86) && defined(QK_BUILD_AVX2)
    QK_UKERNEL(f32_spmm_ukernel_32x4__avx2, QK_ISA_AVX2, 32, 4, 1, 1),
#endif
#if defined(QK_ARCH_X86) && defined(QK_BUILD_SSE2)
    QK_UKERNEL(f32_spmm_ukernel_16x4__sse2, QK_ISA_SSE2, 16, 4, 1, 1),
#endif
#if defined(QK_ARCH_AARCH64) && defined(QK_BUILD_NEON)
    QK_UKERNEL(f32_spmm_ukernel_64x4__neon, QK_ISA_NEON, 64, 4, 1, 1),
#endif
#if (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
    QK_UKERNEL(f32_spmm_ukernel_16x4__neon, QK_ISA_NEON, 16, 4, 1, 1),
#endif
    QK_UKERNEL(f32_spmm_ukernel_8x4__scalar, QK_ISA_SCALAR, 8, 4, 1, 1),
};

QK_FAMILY(f32_spmm)
