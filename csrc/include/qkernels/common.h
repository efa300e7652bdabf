/* Shared basics for every qkernels C file: fixed-width types, inline and
 * restrict spellings, small min/max helpers.  No ISA-specific code here: this
 * header is compiled for the plain baseline of the target. */
#ifndef QKERNELS_COMMON_H
#define QKERNELS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(_MSC_VER)
#define QK_INLINE static __inline
#define QK_RESTRICT __restrict
#else
#define QK_INLINE static inline
#define QK_RESTRICT __restrict__
#endif

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define QK_ARCH_X86 1
#elif defined(__aarch64__) || defined(_M_ARM64)
#define QK_ARCH_AARCH64 1
#elif defined(__arm__) || defined(_M_ARM)
#define QK_ARCH_ARMV7 1
#endif

#define QK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define QK_MAX(a, b) ((a) > (b) ? (a) : (b))

QK_INLINE size_t qk_round_up(size_t n, size_t q) { return (n + q - 1) / q * q; }
QK_INLINE size_t qk_divide_round_up(size_t n, size_t q) { return (n + q - 1) / q; }

/* Output clamp of the fp32 kernels (-inf/+inf when unbounded); shared by
 * every fp32 family so operators can pass one struct around. */
typedef struct qk_f32_minmax {
  float min, max; /* min <= max */
} qk_f32_minmax;

#endif
