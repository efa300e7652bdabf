/* Variants of the qu8 depthwise families, best first, scalar last.
 * mr = pixels per pass, nr = channels per packed block, kr = taps, sr = tap interleave. */
#include "qkernels/dwconv.h"

static const qk_ukernel qu8_dwconv9_variants[] = {
    QK_UKERNEL(qu8_dwconv_ukernel_up8x9__scalar, QK_ISA_SCALAR, 1, 8, 9, 1),
};
static const qk_ukernel qu8_dwconv25_variants[] = {
    QK_UKERNEL(qu8_dwconv_ukernel_up8x25__scalar, QK_ISA_SCALAR, 1, 8, 25, 1),
};

QK_FAMILY(qu8_dwconv9)
QK_FAMILY(qu8_dwconv25)
