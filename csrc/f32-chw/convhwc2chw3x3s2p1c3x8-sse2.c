/* Stem convolution 3x3, stride 2, padding 1, HWC (3 channels) -> CHW, SSE2.
 *
 * Tile: 8 output channels (two xmm of packed weights) x 4 output pixels;
 * SSE2 has no broadcast from memory, so each input value is a movss+shufps
 * splat.  Loops, padding and the block itself are in convhwc2chw-simd.h. */
#include "vec-sse2.h"

#define QK_HWC2CHW_BLOCK qk_hwc2chw_block_4lanes
#include "convhwc2chw-simd.h"

QK_CONV_HWC2CHW_3X3S2P1C3X8_SIMD(f32_conv_hwc2chw_ukernel_3x3s2p1c3x8__sse2)
