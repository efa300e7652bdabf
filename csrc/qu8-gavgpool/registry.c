/* Variants of qu8 global average pooling, best first, scalar last. */
#include "qkernels/dispatch.h"
#include "qkernels/gavgpool.h"

static const qk_ukernel qu8_gavgpool_variants[] = {
#if defined(QK_ARCH_X86) && defined(QK_BUILD_SSE41)
    QK_UKERNEL(qu8_gavgpool_ukernel_c16__sse41, QK_ISA_SSE41, 0, 16, 0, 0),
#endif
#if (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
    QK_UKERNEL(qu8_gavgpool_ukernel_c16__neon, QK_ISA_NEON, 0, 16, 0, 0),
#endif
    QK_UKERNEL(qu8_gavgpool_ukernel_c1__scalar, QK_ISA_SCALAR, 0, 1, 0, 0)};

QK_FAMILY(qu8_gavgpool)
