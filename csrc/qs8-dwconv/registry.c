/* Variants of the qs8 depthwise families, best first, scalar last.
 * mr = pixels per pass, nr = channels per packed block, kr = taps, sr = tap interleave. */
#include "qkernels/dwconv.h"

static const qk_ukernel qs8_dwconv9_variants[] = {
    QK_UKERNEL(qs8_dwconv_ukernel_up8x9__scalar, QK_ISA_SCALAR, 1, 8, 9, 1),
};
static const qk_ukernel qs8_dwconv25_variants[] = {
    QK_UKERNEL(qs8_dwconv_ukernel_up8x25__scalar, QK_ISA_SCALAR, 1, 8, 25, 1),
};

QK_FAMILY(qs8_dwconv9)
QK_FAMILY(qs8_dwconv25)
