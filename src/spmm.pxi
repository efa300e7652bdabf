# Sparse fp32 1x1 convolution (CHW): packing and the driver.

cdef extern from "qkernels/spmm.h":
    ctypedef struct qk_f32_minmax:
        float min
        float max
    ctypedef struct qk_f32_spmm_sizes:
        size_t groups
        size_t values
        size_t columns
        size_t nonzeros
        uint32_t first_channel
    int qk_f32_spmm_pack(size_t cout, size_t cin, const float* weight, const float* bias, uint32_t max_group,
                         qk_f32_spmm_sizes* sizes, uint32_t* desc, float* values, int32_t* diffs) nogil
    void qk_run_f32_spmm(const qk_ukernel* ukernel, size_t batch, size_t cin, size_t cout, size_t hw,
                         const float* input, size_t groups, uint32_t first_channel, const uint32_t* desc,
                         const float* values, const int32_t* diffs, float* output, const qk_f32_minmax* params,
                         size_t threads) nogil


def f32_spmm_pack(const float[:, ::1] weight, const float[::1] bias, uint32_t max_group=4):
    """Pack a dense [cout, cin] weight and [cout] bias.

    Returns (desc uint32[groups], values float32[...], diffs int32[columns]
    in input channels, first_channel, nonzeros)."""
    cdef size_t cout = weight.shape[0], cin = weight.shape[1]
    if cout == 0 or cin == 0:
        raise ValueError("weight must have nonzero Cout and Cin")
    if <size_t> bias.shape[0] != cout:
        raise ValueError(f"bias must have {cout} entries")
    cdef qk_f32_spmm_sizes sizes
    with nogil:
        rc = qk_f32_spmm_pack(cout, cin, &weight[0, 0], &bias[0], max_group, &sizes, NULL, NULL, NULL)
    if rc != 0:
        raise ValueError("max_group must be 1, 2 or 4 and Cin below 2**29")
    # numpy only here, at pack time: the module itself must import without
    # numpy (tests/smoke_ext.py checks the extension on numpy-less platforms).
    import numpy as _np
    desc = _np.empty(sizes.groups, _np.uint32)
    values = _np.empty(sizes.values, _np.float32)
    diffs = _np.empty(max(<Py_ssize_t> sizes.columns, <Py_ssize_t> 1), _np.int32)  # never empty: a valid pointer for C
    cdef uint32_t[::1] d = desc
    cdef float[::1] v = values
    cdef int32_t[::1] f = diffs
    with nogil:
        qk_f32_spmm_pack(cout, cin, &weight[0, 0], &bias[0], max_group, &sizes, &d[0], &v[0], &f[0])
    diffs[sizes.columns:] = 0
    return desc, values, diffs[:sizes.columns].copy(), int(sizes.first_channel), int(sizes.nonzeros)


def f32_spmm(const float[::1] input, float[::1] output, size_t batch, size_t cin, size_t cout, size_t hw,
             const uint32_t[::1] desc, const float[::1] values, const int32_t[::1] diffs, uint32_t first_channel,
             float output_min, float output_max, size_t threads, variant=None):
    """Run the f32_spmm driver on flat input [batch*cin*hw] -> output [batch*cout*hw].

    `diffs` are in bytes for this hw (see qkernels/spmm.h); the packed arrays
    must come from f32_spmm_pack of a [cout, cin] weight."""
    cdef const qk_ukernel* k = _ukernel("f32_spmm", variant)
    if <size_t> input.shape[0] != batch * cin * hw:
        raise ValueError("input must have batch*cin*hw elements")
    if <size_t> output.shape[0] != batch * cout * hw:
        raise ValueError("output must have batch*cout*hw elements")
    if desc.shape[0] == 0 or <size_t> desc.shape[0] > cout or first_channel >= cin:
        raise ValueError("packed weights do not match cin/cout")
    if not output_min <= output_max:
        raise ValueError("output_min must not exceed output_max")
    if batch == 0 or hw == 0:
        return
    cdef qk_f32_minmax p
    p.min = output_min
    p.max = output_max
    cdef const int32_t* dp = &diffs[0] if diffs.shape[0] > 0 else NULL
    with nogil:
        qk_run_f32_spmm(k, batch, cin, cout, hw, &input[0], desc.shape[0], first_channel, &desc[0], &values[0],
                        dp, &output[0], &p, threads)
