/* qs8 depthwise, int8-weight layout, 16 channels x 9 taps, aarch64 NEON:
 * three output pixels per pass for compact stride-1 and stride-2 rows
 * (sharing the 3x5 / 3x7 input window and the block's weight registers),
 * one pixel at a time otherwise.  Body and rationale: dwconv-mul8-neon.h.
 * Built for armv7 too (a "neon" file) but empty there: 16 q registers do
 * not hold three pixels' accumulators next to the weights. */
#if defined(__aarch64__)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns")
#endif
#include "qkernels/dwconv-mul8-neon.h"

QK_DW8_KERNEL(qs8_dwconv_mul8_ukernel_up16x9x3__neon, 3, 3)
#else
typedef int qk_qs8_dwconv_mul8_up16x9x3_neon_is_aarch64_only; /* keeps the translation unit non-empty */
#endif
