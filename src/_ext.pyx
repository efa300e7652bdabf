# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""qkernels._ext: the thin Cython layer over the C microkernels.

Only argument plumbing lives here: buffers come in as typed memoryviews (the
buffer protocol, not the numpy C API, so one wheel works with numpy 1.x and
2.x), the GIL is released around the C calls, and the Python package
(qkernels/) does all validation before calling in.  Each kernel family keeps
its bindings in its own .pxi file, included below.
"""

include "core.pxi"
include "requant.pxi"
include "gemm.pxi"
include "chw.pxi"
include "dwconv.pxi"
include "spmm.pxi"
include "vadd.pxi"
include "gavgpool.pxi"
