/* Global average pooling of CHW planes, SSE2: 4 planes side by side, one
 * 4-lane partial sum each (loops, tail and reduction order in
 * gavgpool-simd.h). */
#include "vec-sse2.h"

#include "gavgpool-simd.h"

QK_GAVGPOOL_CHW_4_SIMD(f32_gavgpool_chw_ukernel_4__sse2)
