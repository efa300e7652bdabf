from cpython.mem cimport PyMem_Malloc, PyMem_Free

# Depthwise convolution: packing, indirection buffer, driver (csrc/include/qkernels/dwconv.h).
# qkernels/depthwise.py validates the user's arguments; here every buffer
# size is checked again against the geometry, so a wrong call raises instead
# of touching memory it does not own.

cdef extern from "qkernels/dwconv.h":
    ctypedef struct qk_dwconv_params:
        qk_qparams q
        int32_t mode
    ctypedef struct qk_dwconv_geometry:
        size_t height, width, channels
        size_t kh, kw, taps
        size_t stride_h, stride_w, dilation_h, dilation_w
        size_t pad_top, pad_left
        size_t out_height, out_width
    enum: QK_DWCONV_FP32
    enum: QK_DWCONV_GEMMLOWP
    enum: QK_DWCONV_MAX_TAPS
    size_t qk_dwconv_packed_bytes(size_t channels, size_t cr, size_t taps, size_t sr, int mode)
    void qk_dwconv_pack(size_t channels, size_t cr, size_t taps, size_t sr, size_t kh, size_t kw,
                        const void* weight, int is_signed, int32_t weight_zero_point,
                        int32_t input_zero_point, const int32_t* bias, int mode, const float* scale,
                        const int32_t* multiplier, const int32_t* shift, void* packed) nogil
    size_t qk_dwconv_mul8_packed_bytes(size_t channels, size_t cr, size_t taps, int mode)
    int qk_dwconv_mul8_pack(size_t channels, size_t cr, size_t taps, size_t kh, size_t kw, const int8_t* weight,
                            int32_t input_zero_point, const int32_t* bias, int mode, const float* scale,
                            const int32_t* multiplier, const int32_t* shift, void* packed) nogil
    void qk_dwconv_indirection_layout(const qk_dwconv_geometry* g, size_t* step, size_t* row_entries)
    void qk_dwconv_indirection_init(const qk_dwconv_geometry* g, size_t* out) nogil
    void qk_run_dwconv(const qk_ukernel* ukernel, const qk_dwconv_geometry* g, size_t batch,
                       const size_t* indirection, const void* input, const void* zero, const void* packed,
                       void* output, const qk_dwconv_params* params, size_t threads) nogil

DWCONV_MAX_TAPS = QK_DWCONV_MAX_TAPS


cdef int _dwconv_mode(str mode) except -1:
    if mode == "fp32":
        return QK_DWCONV_FP32
    if mode == "gemmlowp":
        return QK_DWCONV_GEMMLOWP
    raise ValueError(f"requantization must be 'fp32' or 'gemmlowp', got {mode!r}")


def dwconv_packed_bytes(size_t channels, size_t cr, size_t taps, size_t sr, str mode, bint mul8=False):
    """Bytes of the packed weights; mul8: the int8-weight layout (dwconv.h)."""
    if mul8:
        return qk_dwconv_mul8_packed_bytes(channels, cr, taps, _dwconv_mode(mode))
    return qk_dwconv_packed_bytes(channels, cr, taps, sr, _dwconv_mode(mode))


def dwconv_family_is_mul8(str family):
    """Whether a dwconv family's kernels read the int8-weight layout."""
    return family.endswith("_mul8")


def dwconv_pack(const uint8_t[::1] weight, size_t kh, size_t kw, size_t channels, size_t cr, size_t taps,
                size_t sr, bint is_signed, int32_t weight_zero_point, int32_t input_zero_point,
                const int32_t[::1] bias, str mode, const float[::1] scale, const int32_t[::1] multiplier,
                const int32_t[::1] shift, uint8_t[::1] packed, bint mul8=False):
    """Pack [kh, kw, C] weights (as bytes) for a variant with (cr, taps, sr).

    bias may be None; fp32 mode needs `scale`, gemmlowp `multiplier`/`shift`
    (C entries each).  `packed` must be 4-byte aligned and exactly sized.
    mul8: the int8-weight layout (qs8 only, every weight in [-127, 127])."""
    cdef int m = _dwconv_mode(mode)
    if channels == 0 or kh == 0 or kw == 0 or kh * kw > taps or taps > QK_DWCONV_MAX_TAPS:
        raise ValueError("bad depthwise kernel geometry")
    if cr == 0 or sr not in (1, 2):
        raise ValueError("bad variant layout")
    if <size_t> weight.shape[0] != kh * kw * channels:
        raise ValueError("weight must have kh*kw*channels bytes")
    if bias is not None and <size_t> bias.shape[0] != channels:
        raise ValueError("bias must have one entry per channel")
    cdef const float* ps = NULL
    cdef const int32_t* pm = NULL
    cdef const int32_t* psh = NULL
    cdef size_t i
    if m == QK_DWCONV_FP32:
        if scale is None or <size_t> scale.shape[0] != channels:
            raise ValueError("scale must have one entry per channel")
        ps = &scale[0]
    else:
        if multiplier is None or shift is None or <size_t> multiplier.shape[0] != channels \
                or <size_t> shift.shape[0] != channels:
            raise ValueError("multiplier and shift must have one entry per channel")
        for i in range(channels):
            if shift[i] < 0 or shift[i] > 31:
                raise ValueError("shift must be in [0, 31]")
        pm = &multiplier[0]
        psh = &shift[0]
    if mul8 and (not is_signed or weight_zero_point != 0):
        raise ValueError("the int8-weight layout is for qs8 weights (zero point 0)")
    cdef size_t nbytes = (qk_dwconv_mul8_packed_bytes(channels, cr, taps, m) if mul8
                          else qk_dwconv_packed_bytes(channels, cr, taps, sr, m))
    if <size_t> packed.shape[0] != nbytes:
        raise ValueError("packed has the wrong size")
    if (<size_t> &packed[0]) % 4 != 0:
        raise ValueError("packed must be 4-byte aligned")
    cdef const int32_t* pb = NULL
    if bias is not None:
        pb = &bias[0]
    cdef int rc = 0
    with nogil:
        if mul8:
            rc = qk_dwconv_mul8_pack(channels, cr, taps, kh, kw, <const int8_t*> &weight[0], input_zero_point,
                                     pb, m, ps, pm, psh, &packed[0])
        else:
            qk_dwconv_pack(channels, cr, taps, sr, kh, kw, &weight[0], is_signed, weight_zero_point,
                           input_zero_point, pb, m, ps, pm, psh, &packed[0])
    if rc != 0:
        raise ValueError("the int8-weight layout needs every weight in [-127, 127]")


cdef int _dwconv_geometry(qk_dwconv_geometry* g, tuple geometry) except -1:
    (g.height, g.width, g.channels, g.kh, g.kw, g.taps, g.stride_h, g.stride_w, g.dilation_h,
     g.dilation_w, g.pad_top, g.pad_left, g.out_height, g.out_width) = geometry
    if (g.height == 0 or g.width == 0 or g.channels == 0 or g.kh == 0 or g.kw == 0
            or g.kh * g.kw > g.taps or g.taps > QK_DWCONV_MAX_TAPS or g.stride_h == 0 or g.stride_w == 0
            or g.dilation_h == 0 or g.dilation_w == 0 or g.out_height == 0 or g.out_width == 0):
        raise ValueError(f"bad depthwise geometry {geometry}")
    return 0


def dwconv_indirection_layout(tuple geometry):
    """(step, row_entries) of the indirection buffer for this geometry."""
    cdef qk_dwconv_geometry g
    _dwconv_geometry(&g, geometry)
    cdef size_t step, row_entries
    qk_dwconv_indirection_layout(&g, &step, &row_entries)
    return step, row_entries


cdef class DwconvIndirection:
    """The indirection buffer of one geometry, built once by the C builder.

    Opaque on purpose: dwconv_run trusts its entries (every one addresses a
    whole row inside the image, or is the zero-row marker) because only
    qk_dwconv_indirection_init writes them, so no per-call scan is needed."""
    cdef qk_dwconv_geometry g
    cdef size_t* data
    cdef size_t count
    cdef readonly tuple geometry

    def __cinit__(self, tuple geometry):
        _dwconv_geometry(&self.g, geometry)
        self.geometry = geometry
        cdef size_t step, row_entries
        qk_dwconv_indirection_layout(&self.g, &step, &row_entries)
        self.count = self.g.out_height * row_entries
        self.data = <size_t*> PyMem_Malloc(self.count * sizeof(size_t))
        if self.data == NULL:
            raise MemoryError()
        with nogil:
            qk_dwconv_indirection_init(&self.g, self.data)

    def __dealloc__(self):
        PyMem_Free(self.data)

    def __len__(self):
        return self.count

    def tobytes(self):
        """The entries as native size_t bytes (for tests and inspection)."""
        return (<char*> self.data)[:self.count * sizeof(size_t)]


def dwconv_run(str family, variant, DwconvIndirection indirection not None, size_t batch,
               const uint8_t[::1] input, const uint8_t[::1] zero, const uint8_t[::1] packed,
               uint8_t[::1] output, str mode, int32_t zero_point, int32_t qmin, int32_t qmax,
               size_t threads, size_t repeat=1):
    """Run a *_dwconv{9,25} variant over `batch` images (arrays viewed as bytes).

    `repeat` runs the same call that many times without returning to Python
    (benchmarks use it to measure the kernels without the interpreter)."""
    cdef const qk_ukernel* k = _ukernel(family, variant)
    cdef const qk_dwconv_geometry* g = &indirection.g
    cdef int m = _dwconv_mode(mode)
    if g.taps != k.kr:
        raise ValueError(f"geometry has {g.taps} taps, the kernel {k.kr}")
    cdef size_t image = g.height * g.width * g.channels
    if batch == 0 or <size_t> input.shape[0] != batch * image:
        raise ValueError("input has the wrong size")
    if <size_t> output.shape[0] != batch * g.out_height * g.out_width * g.channels:
        raise ValueError("output has the wrong size")
    if <size_t> zero.shape[0] < g.channels:
        raise ValueError("zero row is too short")
    cdef size_t nbytes = (qk_dwconv_mul8_packed_bytes(g.channels, k.nr, k.kr, m) if dwconv_family_is_mul8(family)
                          else qk_dwconv_packed_bytes(g.channels, k.nr, k.kr, k.sr, m))
    if <size_t> packed.shape[0] != nbytes:
        raise ValueError("packed weights do not match this kernel's layout")
    if (<size_t> &packed[0]) % 4 != 0:
        raise ValueError("packed must be 4-byte aligned")
    cdef int32_t lo = -128 if family.startswith("qs8") else 0
    cdef int32_t hi = 127 if family.startswith("qs8") else 255
    if not (lo <= qmin <= qmax <= hi and lo <= zero_point <= hi):
        raise ValueError(f"zero_point, qmin, qmax must satisfy {lo} <= qmin <= qmax <= {hi}, zero_point in range")
    cdef qk_dwconv_params p
    qk_qparams_init(&p.q, zero_point, qmin, qmax)
    p.mode = m
    cdef size_t i
    with nogil:
        for i in range(repeat):
            qk_run_dwconv(k, g, batch, indirection.data, &input[0], &zero[0], &packed[0], &output[0], &p,
                          threads)
