/* Variants of the fp32 elementwise add with clamp, best first, scalar last. */
#include "qkernels/dispatch.h"
#include "qkernels/vadd.h"

static const qk_ukernel f32_vadd_variants[] = {
#if defined(QK_ARCH_X86) && defined(QK_BUILD_AVX2)
    QK_ENTRY(f32_vadd_ukernel_x16__avx2, QK_ISA_AVX2),
#endif
#if defined(QK_ARCH_X86) && defined(QK_BUILD_SSE2)
    QK_ENTRY(f32_vadd_ukernel_x8__sse2, QK_ISA_SSE2),
#endif
#if (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
    QK_ENTRY(f32_vadd_ukernel_x8__neon, QK_ISA_NEON),
#endif
    QK_ENTRY(f32_vadd_ukernel_x4__scalar, QK_ISA_SCALAR)};

QK_FAMILY(f32_vadd)
