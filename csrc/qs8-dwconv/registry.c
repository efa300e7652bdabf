/* Variants of the qs8 depthwise families, best first, scalar last.
 * mr = pixels per pass, nr = channels per packed block, kr = taps, sr = tap interleave. */
#include "qkernels/dwconv.h"

static const qk_ukernel qs8_dwconv9_variants[] = {
#if defined(QK_ARCH_X86)
#if defined(QK_BUILD_AVX512VNNI)
    QK_UKERNEL(qs8_dwconv_ukernel_up32x9__avx512vnni, QK_ISA_AVX512VNNI, 1, 32, 9, 2),
    QK_UKERNEL(qs8_dwconv_ukernel_up16x9__avx512vnni, QK_ISA_AVX512VNNI, 1, 16, 9, 2),
#endif
#if defined(QK_BUILD_AVX2)
    QK_UKERNEL(qs8_dwconv_ukernel_up16x9__avx2, QK_ISA_AVX2, 1, 16, 9, 2),
#endif
#if defined(QK_BUILD_SSE41)
    QK_UKERNEL(qs8_dwconv_ukernel_up8x9__sse41, QK_ISA_SSE41, 1, 8, 9, 2),
#endif
#if defined(QK_BUILD_SSE2)
    QK_UKERNEL(qs8_dwconv_ukernel_up8x9__sse2, QK_ISA_SSE2, 1, 8, 9, 2),
#endif
#endif
#if defined(QK_ARCH_AARCH64) && defined(QK_BUILD_NEON)
    QK_UKERNEL(qs8_dwconv_ukernel_up8x9x3__neon, QK_ISA_NEON, 3, 8, 9, 1),
#endif
#if (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
    QK_UKERNEL(qs8_dwconv_ukernel_up8x9__neon, QK_ISA_NEON, 1, 8, 9, 1),
#endif
    QK_UKERNEL(qs8_dwconv_ukernel_up8x9__scalar, QK_ISA_SCALAR, 1, 8, 9, 1),
};
static const qk_ukernel qs8_dwconv25_variants[] = {
#if defined(QK_ARCH_X86)
#if defined(QK_BUILD_AVX512VNNI)
    QK_UKERNEL(qs8_dwconv_ukernel_up32x25__avx512vnni, QK_ISA_AVX512VNNI, 1, 32, 25, 2),
    QK_UKERNEL(qs8_dwconv_ukernel_up16x25__avx512vnni, QK_ISA_AVX512VNNI, 1, 16, 25, 2),
#endif
#if defined(QK_BUILD_AVX2)
    QK_UKERNEL(qs8_dwconv_ukernel_up16x25__avx2, QK_ISA_AVX2, 1, 16, 25, 2),
#endif
#if defined(QK_BUILD_SSE41)
    QK_UKERNEL(qs8_dwconv_ukernel_up8x25__sse41, QK_ISA_SSE41, 1, 8, 25, 2),
#endif
#if defined(QK_BUILD_SSE2)
    QK_UKERNEL(qs8_dwconv_ukernel_up8x25__sse2, QK_ISA_SSE2, 1, 8, 25, 2),
#endif
#endif
#if (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
    QK_UKERNEL(qs8_dwconv_ukernel_up8x25__neon, QK_ISA_NEON, 1, 8, 25, 1),
#endif
    QK_UKERNEL(qs8_dwconv_ukernel_up8x25__scalar, QK_ISA_SCALAR, 1, 8, 25, 1),
};
/* The int8-weight layout (dwconv.h): only for weights in [-127, 127]. */
static const qk_ukernel qs8_dwconv9_mul8_variants[] = {
#if (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
    /* aarch64: mul8-up16x9x3-neon.c; armv7: mul8-up16x9x3-aarch32-neon.c */
    QK_UKERNEL(qs8_dwconv_mul8_ukernel_up16x9x3__neon, QK_ISA_NEON, 3, 16, 9, 1),
#endif
#if (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
    QK_UKERNEL(qs8_dwconv_mul8_ukernel_up16x9__neon, QK_ISA_NEON, 1, 16, 9, 1),
#endif
    QK_UKERNEL(qs8_dwconv_mul8_ukernel_up16x9__scalar, QK_ISA_SCALAR, 1, 16, 9, 1),
};

QK_FAMILY(qs8_dwconv9)
QK_FAMILY(qs8_dwconv25)
QK_FAMILY(qs8_dwconv9_mul8)
