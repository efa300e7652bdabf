# Elementwise adds: quantized (qs8/qu8, TFLite ADD) and fp32 with clamp
# (csrc/include/qkernels/vadd.h).  qkernels/glue.py validates the user's
# arguments and derives the multipliers; sizes and parameter ranges are
# checked again here so a wrong call raises instead of touching memory.

cdef extern from "qkernels/vadd.h":
    ctypedef struct qk_vadd_params:
        int32_t a_zero_point, b_zero_point
        int32_t a_multiplier, b_multiplier
        uint32_t a_shift, b_shift
        int32_t output_multiplier
        uint32_t output_shift
        qk_qparams output
    ctypedef struct qk_f32_minmax:
        float min
        float max
    void qk_run_vadd(const qk_ukernel* ukernel, size_t n, const void* a, const void* b, void* y,
                     const qk_vadd_params* params, size_t threads) nogil
    void qk_run_f32_vadd(const qk_ukernel* ukernel, size_t n, const float* a, const float* b, float* y,
                         const qk_f32_minmax* params, size_t threads) nogil


def vadd(str family, const uint8_t[::1] a, const uint8_t[::1] b, uint8_t[::1] out,
         int32_t a_zero_point, int32_t a_multiplier, uint32_t a_shift,
         int32_t b_zero_point, int32_t b_multiplier, uint32_t b_shift,
         int32_t output_multiplier, uint32_t output_shift,
         int32_t zero_point, int32_t qmin, int32_t qmax, size_t threads, variant=None):
    """Run a q*_vadd kernel on flat byte views of int8/uint8 arrays."""
    cdef const qk_ukernel* k = _ukernel(family, variant)
    if a.shape[0] != b.shape[0] or out.shape[0] != a.shape[0]:
        raise ValueError("a, b and out must have the same number of elements")
    if a_shift > 31 or b_shift > 31 or output_shift > 31:
        raise ValueError("shifts must be in [0, 31]")
    if a_multiplier < 0 or b_multiplier < 0 or output_multiplier < 0:
        raise ValueError("multipliers must be non-negative")
    cdef qk_vadd_params p
    p.a_zero_point = a_zero_point
    p.b_zero_point = b_zero_point
    p.a_multiplier = a_multiplier
    p.b_multiplier = b_multiplier
    p.a_shift = a_shift
    p.b_shift = b_shift
    p.output_multiplier = output_multiplier
    p.output_shift = output_shift
    qk_qparams_init(&p.output, zero_point, qmin, qmax)
    cdef size_t n = a.shape[0]
    if n == 0:
        return
    with nogil:
        qk_run_vadd(k, n, &a[0], &b[0], &out[0], &p, threads)


def f32_vadd(const float[::1] a, const float[::1] b, float[::1] out, float output_min, float output_max,
             size_t threads, variant=None):
    """Run an f32_vadd kernel: out = min(max(a + b, output_min), output_max)."""
    cdef const qk_ukernel* k = _ukernel("f32_vadd", variant)
    if a.shape[0] != b.shape[0] or out.shape[0] != a.shape[0]:
        raise ValueError("a, b and out must have the same number of elements")
    cdef qk_f32_minmax p
    p.min = output_min
    p.max = output_max
    cdef size_t n = a.shape[0]
    if n == 0:
        return
    with nogil:
        qk_run_f32_vadd(k, n, &a[0], &b[0], &out[0], &p, threads)
