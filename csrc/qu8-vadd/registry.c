/* Variants of the qu8 elementwise add, best first, scalar last. */
#include "qkernels/dispatch.h"
#include "qkernels/vadd.h"

static const qk_ukernel qu8_vadd_variants[] = {
#if defined(QK_ARCH_X86) && defined(QK_BUILD_AVX2)
    QK_ENTRY(qu8_vadd_ukernel_x32__avx2, QK_ISA_AVX2),
#endif
#if defined(QK_ARCH_X86) && defined(QK_BUILD_SSE41)
    QK_ENTRY(qu8_vadd_ukernel_x16__sse41, QK_ISA_SSE41),
#endif
#if (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
    QK_ENTRY(qu8_vadd_ukernel_x16__neon, QK_ISA_NEON),
#endif
    QK_ENTRY(qu8_vadd_ukernel_x1__scalar, QK_ISA_SCALAR)};

QK_FAMILY(qu8_vadd)
