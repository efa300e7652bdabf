# Quantized global average pooling (csrc/include/qkernels/gavgpool.h).
# qkernels/glue.py validates the user's arguments and derives the scale or
# multiplier; sizes are checked again here against the geometry.

cdef extern from "qkernels/gavgpool.h":
    ctypedef struct qk_gavgpool_params:
        int32_t bias
        int32_t mode
        float scale
        int32_t multiplier
        uint32_t shift
        qk_qparams output
    enum: QK_GAVGPOOL_FP32
    enum: QK_GAVGPOOL_GEMMLOWP
    uint32_t QK_GAVGPOOL_MAX_ROWS
    void qk_run_gavgpool(const qk_ukernel* ukernel, size_t batch, size_t rows, size_t channels,
                         const void* input, void* output, const qk_gavgpool_params* params,
                         size_t threads) nogil

GAVGPOOL_MAX_ROWS = QK_GAVGPOOL_MAX_ROWS


def gavgpool(str family, const uint8_t[::1] x, uint8_t[::1] out, size_t batch, size_t rows, size_t channels,
             str mode, int32_t input_zero_point, float scale, int32_t multiplier, uint32_t shift,
             int32_t zero_point, int32_t qmin, int32_t qmax, size_t threads, variant=None):
    """Run a q*_gavgpool kernel: x is [batch, rows, channels] and out [batch, channels], as bytes."""
    cdef const qk_ukernel* k = _ukernel(family, variant)
    cdef qk_gavgpool_params p
    if mode == "fp32":
        p.mode = QK_GAVGPOOL_FP32
    elif mode == "gemmlowp":
        p.mode = QK_GAVGPOOL_GEMMLOWP
    else:
        raise ValueError(f"requantization must be 'fp32' or 'gemmlowp', got {mode!r}")
    if rows == 0 or rows > QK_GAVGPOOL_MAX_ROWS:
        raise ValueError(f"rows must be in [1, {QK_GAVGPOOL_MAX_ROWS}]")
    if <size_t> x.shape[0] != batch * rows * channels or <size_t> out.shape[0] != batch * channels:
        raise ValueError("x must have batch*rows*channels and out batch*channels elements")
    if shift > 31 or multiplier < 0:
        raise ValueError("multiplier must be non-negative and shift in [0, 31]")
    if input_zero_point < -128 or input_zero_point > 255:
        raise ValueError("input_zero_point out of range")
    p.bias = <int32_t> (-<int64_t> rows * input_zero_point)
    p.scale = scale
    p.multiplier = multiplier
    p.shift = shift
    qk_qparams_init(&p.output, zero_point, qmin, qmax)
    if batch == 0 or channels == 0:
        return
    with nogil:
        qk_run_gavgpool(k, batch, rows, channels, &x[0], &out[0], &p, threads)
