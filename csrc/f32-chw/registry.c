/* Variants of the fp32 CHW kernels, best first, scalar last.  One family per
 * kernel shape: an operator picks its family once (by kernel size and
 * stride), then dispatch picks the variant. */
#include "qkernels/chw.h"

#if defined(QK_ARCH_X86) && defined(QK_BUILD_SSE2)
#define QK_CHW_SIMD(kernel) QK_ENTRY(kernel##__sse2, QK_ISA_SSE2),
#elif (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
#define QK_CHW_SIMD(kernel) QK_ENTRY(kernel##__neon, QK_ISA_NEON),
#else
#define QK_CHW_SIMD(kernel)
#endif

/* The depthwise kernels and the stem also have AVX2-level variants on x86
 * (8 lanes per ymm, AVX2 for vpermpd, no FMA). */
#if defined(QK_ARCH_X86) && defined(QK_BUILD_AVX2)
#define QK_CHW_AVX2(kernel) QK_ENTRY(kernel##__avx2, QK_ISA_AVX2),
#else
#define QK_CHW_AVX2(kernel)
#endif

#define QK_CHW_VARIANTS(family, kernel)                                                        \
  static const qk_ukernel family##_variants[] = {QK_CHW_SIMD(kernel)                           \
                                                     QK_ENTRY(kernel##__scalar, QK_ISA_SCALAR)}; \
  QK_FAMILY(family)
#define QK_CHW_VARIANTS_AVX2(family, kernel)                                                              \
  static const qk_ukernel family##_variants[] = {QK_CHW_AVX2(kernel) QK_CHW_SIMD(kernel)                  \
                                                     QK_ENTRY(kernel##__scalar, QK_ISA_SCALAR)};            \
  QK_FAMILY(family)

QK_CHW_VARIANTS_AVX2(f32_dwconv2d_chw_3x3s1p1, f32_dwconv2d_chw_ukernel_3x3s1p1)
QK_CHW_VARIANTS_AVX2(f32_dwconv2d_chw_3x3s2p1, f32_dwconv2d_chw_ukernel_3x3s2p1)
QK_CHW_VARIANTS_AVX2(f32_dwconv2d_chw_5x5s1p2, f32_dwconv2d_chw_ukernel_5x5s1p2)
QK_CHW_VARIANTS_AVX2(f32_dwconv2d_chw_5x5s2p2, f32_dwconv2d_chw_ukernel_5x5s2p2)
QK_CHW_VARIANTS_AVX2(f32_conv_hwc2chw_3x3s2p1c3, f32_conv_hwc2chw_ukernel_3x3s2p1c3x8)
QK_CHW_VARIANTS(f32_gavgpool_chw, f32_gavgpool_chw_ukernel_4)
QK_CHW_VARIANTS(x32_transpose_chw, x32_transpose_chw_ukernel_4x4)
