/* Variants of the standalone requantization kernels, best first. */
#include "qkernels/dispatch.h"
#include "qkernels/requant.h"

#if defined(QK_ARCH_X86) && defined(QK_BUILD_SSE2) && defined(QK_BUILD_SSE41)
static const qk_ukernel qs8_requant_fp32_variants[] = {
    QK_ENTRY(qs8_requant_fp32_ukernel__sse2, QK_ISA_SSE2),
    QK_ENTRY(qs8_requant_fp32_ukernel__scalar, QK_ISA_SCALAR)};
static const qk_ukernel qu8_requant_fp32_variants[] = {
    QK_ENTRY(qu8_requant_fp32_ukernel__sse2, QK_ISA_SSE2),
    QK_ENTRY(qu8_requant_fp32_ukernel__scalar, QK_ISA_SCALAR)};
static const qk_ukernel qs8_requant_gemmlowp_variants[] = {
    QK_ENTRY(qs8_requant_gemmlowp_ukernel__sse41, QK_ISA_SSE41),
    QK_ENTRY(qs8_requant_gemmlowp_ukernel__scalar, QK_ISA_SCALAR)};
static const qk_ukernel qu8_requant_gemmlowp_variants[] = {
    QK_ENTRY(qu8_requant_gemmlowp_ukernel__sse41, QK_ISA_SSE41),
    QK_ENTRY(qu8_requant_gemmlowp_ukernel__scalar, QK_ISA_SCALAR)};
#elif (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(QK_BUILD_NEON)
static const qk_ukernel qs8_requant_fp32_variants[] = {
    QK_ENTRY(qs8_requant_fp32_ukernel__neon, QK_ISA_NEON),
    QK_ENTRY(qs8_requant_fp32_ukernel__scalar, QK_ISA_SCALAR)};
static const qk_ukernel qu8_requant_fp32_variants[] = {
    QK_ENTRY(qu8_requant_fp32_ukernel__neon, QK_ISA_NEON),
    QK_ENTRY(qu8_requant_fp32_ukernel__scalar, QK_ISA_SCALAR)};
static const qk_ukernel qs8_requant_gemmlowp_variants[] = {
    QK_ENTRY(qs8_requant_gemmlowp_ukernel__neon, QK_ISA_NEON),
    QK_ENTRY(qs8_requant_gemmlowp_ukernel__scalar, QK_ISA_SCALAR)};
static const qk_ukernel qu8_requant_gemmlowp_variants[] = {
    QK_ENTRY(qu8_requant_gemmlowp_ukernel__neon, QK_ISA_NEON),
    QK_ENTRY(qu8_requant_gemmlowp_ukernel__scalar, QK_ISA_SCALAR)};
#else
static const qk_ukernel qs8_requant_fp32_variants[] = {QK_ENTRY(qs8_requant_fp32_ukernel__scalar, QK_ISA_SCALAR)};
static const qk_ukernel qu8_requant_fp32_variants[] = {QK_ENTRY(qu8_requant_fp32_ukernel__scalar, QK_ISA_SCALAR)};
static const qk_ukernel qs8_requant_gemmlowp_variants[] = {
    QK_ENTRY(qs8_requant_gemmlowp_ukernel__scalar, QK_ISA_SCALAR)};
static const qk_ukernel qu8_requant_gemmlowp_variants[] = {
    QK_ENTRY(qu8_requant_gemmlowp_ukernel__scalar, QK_ISA_SCALAR)};
#endif


QK_FAMILY(qs8_requant_fp32)
QK_FAMILY(qu8_requant_fp32)
QK_FAMILY(qs8_requant_gemmlowp)
QK_FAMILY(qu8_requant_gemmlowp)
