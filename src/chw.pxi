# fp32 CHW companion kernels: depthwise conv, HWC->CHW stem conv, global
# average pooling, HWC<->CHW transposes.  qkernels/chw.py validates shapes and
# dtypes; these wrappers re-check the buffer sizes they rely on (so a wrong
# call raises instead of touching memory it does not own) and release the GIL.

cdef extern from "qkernels/chw.h":
    enum: QK_HWC2CHW_COUT_BLOCK
    enum: QK_HWC2CHW_BLOCK_FLOATS
    void qk_run_f32_dwconv2d_chw(const qk_ukernel* ukernel, size_t kernel_size, size_t stride, size_t padding,
                                 size_t batch, size_t channels, size_t input_height, size_t input_width,
                                 const float* input, const float* weights, float* output, float output_min,
                                 float output_max, size_t threads) nogil
    void qk_run_f32_conv_hwc2chw(const qk_ukernel* ukernel, size_t batch, size_t input_height,
                                 size_t input_width, size_t output_channels, const float* input,
                                 const float* packed_weights, float* output, float output_min,
                                 float output_max, size_t threads) nogil
    void qk_run_f32_gavgpool_chw(const qk_ukernel* ukernel, size_t planes, size_t elements, const float* input,
                                 float* output, float output_min, float output_max, size_t threads) nogil
    void qk_run_x32_transpose(const qk_ukernel* ukernel, size_t batch, size_t rows, size_t cols,
                              const uint32_t* input, uint32_t* output, size_t threads) nogil

CHW_HWC2CHW_COUT_BLOCK = QK_HWC2CHW_COUT_BLOCK
CHW_HWC2CHW_BLOCK_FLOATS = QK_HWC2CHW_BLOCK_FLOATS


cdef _chw_check(bint ok, str what):
    if not ok:
        raise ValueError(what)


def chw_dwconv2d(const float[::1] x, const float[::1] weights, float[::1] out, size_t batch, size_t channels,
                 size_t height, size_t width, size_t kernel_size, size_t stride, size_t padding,
                 float output_min, float output_max, size_t threads, variant=None):
    """Depthwise conv of [batch, channels, height, width] (flattened) -> [batch, channels, OH, OW]."""
    _chw_check(kernel_size in (3, 5) and stride in (1, 2) and padding == kernel_size // 2,
               "unsupported depthwise kernel/stride/padding")
    cdef str family = f"f32_dwconv2d_chw_{kernel_size}x{kernel_size}s{stride}p{padding}"
    cdef const qk_ukernel* k = _ukernel(family, variant)
    _chw_check(channels >= 1 and height >= 1 and width >= 1 and threads >= 1, "sizes must be positive")
    cdef size_t oh = (height + 2 * padding - kernel_size) // stride + 1
    cdef size_t ow = (width + 2 * padding - kernel_size) // stride + 1
    _chw_check(<size_t> x.shape[0] == batch * channels * height * width, "x has the wrong size")
    _chw_check(<size_t> weights.shape[0] == channels * (1 + kernel_size * kernel_size), "weights have the wrong size")
    _chw_check(<size_t> out.shape[0] == batch * channels * oh * ow, "out has the wrong size")
    if batch == 0:
        return
    with nogil:
        qk_run_f32_dwconv2d_chw(k, kernel_size, stride, padding, batch, channels, height, width, &x[0],
                                &weights[0], &out[0], output_min, output_max, threads)


def chw_conv_hwc2chw(const float[::1] x, const float[::1] packed, float[::1] out, size_t batch, size_t height,
                     size_t width, size_t output_channels, float output_min, float output_max, size_t threads,
                     variant=None):
    """3x3 s2 p1 conv of HWC [batch, height, width, 3] (flattened) -> CHW [batch, output_channels, OH, OW]."""
    cdef const qk_ukernel* k = _ukernel("f32_conv_hwc2chw_3x3s2p1c3", variant)
    _chw_check(output_channels >= 1 and height >= 1 and width >= 1 and threads >= 1, "sizes must be positive")
    cdef size_t oh = (height - 1) // 2 + 1
    cdef size_t ow = (width - 1) // 2 + 1
    cdef size_t blocks = (output_channels + QK_HWC2CHW_COUT_BLOCK - 1) // QK_HWC2CHW_COUT_BLOCK
    _chw_check(<size_t> x.shape[0] == batch * height * width * 3, "x has the wrong size")
    _chw_check(<size_t> packed.shape[0] == blocks * QK_HWC2CHW_BLOCK_FLOATS, "packed weights have the wrong size")
    _chw_check(<size_t> out.shape[0] == batch * output_channels * oh * ow, "out has the wrong size")
    if batch == 0:
        return
    with nogil:
        qk_run_f32_conv_hwc2chw(k, batch, height, width, output_channels, &x[0], &packed[0], &out[0],
                                output_min, output_max, threads)


def chw_gavgpool(const float[::1] x, float[::1] out, size_t planes, size_t elements, float output_min,
                 float output_max, size_t threads, variant=None):
    """Mean of each of `planes` planes of `elements` floats."""
    cdef const qk_ukernel* k = _ukernel("f32_gavgpool_chw", variant)
    _chw_check(elements >= 1 and threads >= 1, "sizes must be positive")
    _chw_check(<size_t> x.shape[0] == planes * elements, "x has the wrong size")
    _chw_check(<size_t> out.shape[0] == planes, "out has the wrong size")
    if planes == 0:
        return
    with nogil:
        qk_run_f32_gavgpool_chw(k, planes, elements, &x[0], &out[0], output_min, output_max, threads)


def chw_transpose(const uint32_t[::1] x, uint32_t[::1] out, size_t batch, size_t rows, size_t cols,
                  size_t threads, variant=None):
    """batch x [rows, cols] -> batch x [cols, rows], 32-bit elements (flattened)."""
    cdef const qk_ukernel* k = _ukernel("x32_transpose_chw", variant)
    _chw_check(threads >= 1, "threads must be positive")
    _chw_check(<size_t> x.shape[0] == batch * rows * cols, "x has the wrong size")
    _chw_check(<size_t> out.shape[0] == batch * rows * cols, "out has the wrong size")
    if batch == 0 or rows == 0 or cols == 0:
        return
    with nogil:
        qk_run_x32_transpose(k, batch, rows, cols, &x[0], &out[0], threads)
