/* Global average pooling of CHW planes, NEON (armv7 and aarch64): 4 planes
 * side by side, one 4-lane partial sum each, reduced lane by lane in the
 * scalar order (loops, tail and reduction order in gavgpool-simd.h). */
#include "vec-neon.h"

#include "gavgpool-simd.h"

QK_GAVGPOOL_CHW_4_SIMD(f32_gavgpool_chw_ukernel_4__neon)
