/* Stem convolution 3x3, stride 2, padding 1, HWC (3 channels) -> CHW, NEON
 * (armv7 and aarch64).
 *
 * Same tile as the SSE2 variant: 8 output channels (two q registers of
 * packed weights) x 4 output pixels, 8 accumulators + 2 weights + 1
 * broadcast in 11 of the 16 (armv7) q registers.  The broadcast is
 * vld1q_dup (ld1r), a load rather than a shuffle; vtrn/vcombine transpose
 * each 4x4 group.  Separate vmulq/vaddq (no fused multiply-add): the scalar
 * twin's exact arithmetic.  Loops, padding and the block itself are in
 * convhwc2chw-simd.h. */
#include "vec-neon.h"

#define QK_HWC2CHW_BLOCK qk_hwc2chw_block_4lanes
#include "convhwc2chw-simd.h"

QK_CONV_HWC2CHW_3X3S2P1C3X8_SIMD(f32_conv_hwc2chw_ukernel_3x3s2p1c3x8__neon)
