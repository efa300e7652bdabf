# Standalone requantization (int32 -> int8/uint8).

cdef extern from "qkernels/requant.h":
    ctypedef struct qk_qparams:
        int32_t zero_point
        int32_t qmin, qmax
        float fmin, fmax
    void qk_qparams_init(qk_qparams* p, int32_t zero_point, int32_t qmin, int32_t qmax)

cdef extern from "qkernels/ops.h":
    void qk_run_requant_fp32(const qk_ukernel* ukernel, size_t n, const int32_t* input, void* output,
                             float scale, const qk_qparams* params, size_t threads) nogil
    void qk_run_requant_gemmlowp(const qk_ukernel* ukernel, size_t n, const int32_t* input, void* output,
                                 int32_t multiplier, uint32_t shift, const qk_qparams* params,
                                 size_t threads) nogil


def requant_fp32(str family, const int32_t[::1] acc, uint8_t[::1] out, float scale,
                 int32_t zero_point, int32_t qmin, int32_t qmax, size_t threads, variant=None):
    """Run a *_requant_fp32 kernel; `out` is the output viewed as bytes."""
    cdef const qk_ukernel* k = _ukernel(family, variant)
    cdef qk_qparams p
    qk_qparams_init(&p, zero_point, qmin, qmax)
    if out.shape[0] != acc.shape[0]:
        raise ValueError("out must have as many elements as acc")
    cdef size_t n = acc.shape[0]
    if n == 0:
        return
    with nogil:
        qk_run_requant_fp32(k, n, &acc[0], &out[0], scale, &p, threads)


def requant_gemmlowp(str family, const int32_t[::1] acc, uint8_t[::1] out, int32_t multiplier,
                     uint32_t shift, int32_t zero_point, int32_t qmin, int32_t qmax, size_t threads,
                     variant=None):
    """Run a *_requant_gemmlowp kernel; `out` is the output viewed as bytes."""
    cdef const qk_ukernel* k = _ukernel(family, variant)
    cdef qk_qparams p
    qk_qparams_init(&p, zero_point, qmin, qmax)
    if out.shape[0] != acc.shape[0]:
        raise ValueError("out must have as many elements as acc")
    if shift > 31:
        raise ValueError("shift must be in [0, 31]")
    cdef size_t n = acc.shape[0]
    if n == 0:
        return
    with nogil:
        qk_run_requant_gemmlowp(k, n, &acc[0], &out[0], multiplier, shift, &p, threads)
