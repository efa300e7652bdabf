# 8-bit GEMM / IGEMM (Linear, Conv2d): packing and the two drivers.
# Buffers arrive as bytes (uint8 memoryviews) so one entry point serves int8
# and uint8; sizes are checked here so no call can make C touch memory
# outside the given buffers (the Python operators validate user input first).

cdef extern from "qkernels/gemm.h":
    enum: QK_REQUANT_FP32
    enum: QK_REQUANT_GEMMLOWP
    ctypedef struct qk_gemm_params:
        pass
    void qk_gemm_params_init(qk_gemm_params* p, int32_t a_zero_point, int32_t w_zero_point,
                             int32_t requantization, int32_t zero_point, int32_t qmin, int32_t qmax)
    size_t qk_gemm_packed_bytes(size_t n, size_t kc, size_t ks, uint32_t nr, uint32_t kr, uint32_t pack,
                                int32_t requantization)
    size_t qk_gemm_pack_weight_bytes(uint32_t pack)
    int qk_pack_gemm_qs8(size_t n, size_t kc, size_t ks, uint32_t nr, uint32_t kr, uint32_t sr, uint32_t pack,
                         const int8_t* w, const int32_t* bias, int32_t a_zero_point, int32_t requantization,
                         const float* scale, const int32_t* multiplier, const int32_t* shift,
                         void* packed) nogil
    int qk_pack_gemm_qu8(size_t n, size_t kc, size_t ks, uint32_t nr, uint32_t kr, uint32_t sr, uint32_t pack,
                         const uint8_t* w, const int32_t* bias, int32_t a_zero_point, int32_t w_zero_point,
                         int32_t requantization, const float* scale, const int32_t* multiplier,
                         const int32_t* shift, void* packed) nogil
    ctypedef struct qk_im2col_geometry:
        size_t h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow
    void qk_im2col(const qk_im2col_geometry* g, size_t batch, const void* x, uint8_t pad, void* out,
                   size_t threads) nogil
    void qk_run_gemm(const qk_ukernel* ukernel, size_t groups, size_t m, size_t n, size_t kc, const void* a,
                     size_t a_stride, const void* packed, size_t packed_group_stride, void* c, size_t c_stride,
                     const qk_gemm_params* params, size_t threads) nogil
    void qk_run_igemm(const qk_ukernel* ukernel, size_t batch, size_t groups, size_t m, size_t n, size_t kc,
                      size_t ks, const void* const* indirection, size_t a_offset, size_t a_batch_stride,
                      const void* zero, const void* packed, size_t packed_group_stride, void* c,
                      size_t c_stride, size_t c_batch_stride, const qk_gemm_params* params,
                      size_t threads) nogil

GEMM_FAMILIES = ("qs8_gemm", "qu8_gemm")


cdef int32_t _gemm_mode(str mode) except -1:
    if mode == "fp32":
        return QK_REQUANT_FP32
    if mode == "gemmlowp":
        return QK_REQUANT_GEMMLOWP
    raise ValueError(f"requantization must be 'fp32' or 'gemmlowp', got {mode!r}")


cdef int _check_pack_format(uint32_t pack) except -1:
    if qk_gemm_pack_weight_bytes(pack) == 0:
        raise ValueError(f"unknown packed-weights format {pack}")
    return 0


def gemm_pack_weight_bytes(uint32_t pack):
    """Bytes per packed weight in packed-weights format `pack`."""
    _check_pack_format(pack)
    return qk_gemm_pack_weight_bytes(pack)


def gemm_packed_bytes(size_t n, size_t kc, size_t ks, uint32_t nr, uint32_t kr, str mode, uint32_t pack=0):
    """Bytes of the packed weights of n channels for tile (nr, kr) in format `pack`."""
    if nr == 0 or kr == 0:
        raise ValueError("nr and kr must be positive")
    _check_pack_format(pack)
    return qk_gemm_packed_bytes(n, kc, ks, nr, kr, pack, _gemm_mode(mode))


def gemm_pack(str family, uint32_t nr, uint32_t kr, uint32_t sr, const uint8_t[::1] w, size_t n, size_t kc,
              size_t ks, bias, int32_t a_zero_point, int32_t w_zero_point, str mode, const float[::1] scale,
              const int32_t[::1] multiplier, const int32_t[::1] shift, uint8_t[::1] packed, uint32_t pack=0):
    """Pack weights [n][ks][kc] (bytes) of `family` for tile (nr, kr, sr), format `pack`, into `packed`."""
    cdef int32_t m = _gemm_mode(mode)
    cdef const int32_t[::1] b
    cdef const int32_t* bp = NULL
    if family not in GEMM_FAMILIES:
        raise ValueError(f"family must be one of {GEMM_FAMILIES}, got {family!r}")
    if n == 0 or kc == 0 or ks == 0:
        raise ValueError("n, kc and ks must be positive")
    if nr == 0 or kr == 0 or sr != 1:
        raise ValueError(f"unsupported packing tile nr={nr} kr={kr} sr={sr} (nr, kr > 0 and sr = 1)")
    _check_pack_format(pack)
    if <size_t> w.shape[0] != n * ks * kc:
        raise ValueError(f"w must hold n*ks*kc = {n * ks * kc} bytes, got {w.shape[0]}")
    if bias is not None:
        b = bias
        if <size_t> b.shape[0] != n:
            raise ValueError(f"bias must have {n} entries, got {b.shape[0]}")
        bp = &b[0]
    if m == QK_REQUANT_FP32 and <size_t> scale.shape[0] != n:
        raise ValueError(f"scale must have {n} entries")
    if m == QK_REQUANT_GEMMLOWP and (<size_t> multiplier.shape[0] != n or <size_t> shift.shape[0] != n):
        raise ValueError(f"multiplier and shift must have {n} entries")
    for i in range(shift.shape[0]):
        if shift[i] < 0 or shift[i] > 31:
            raise ValueError("shift must be in [0, 31]")
    if <size_t> packed.shape[0] < qk_gemm_packed_bytes(n, kc, ks, nr, kr, pack, m):
        raise ValueError("packed buffer too small")
    cdef int rc
    cdef bint signed = family == "qs8_gemm"
    with nogil:
        if signed:
            rc = qk_pack_gemm_qs8(n, kc, ks, nr, kr, sr, pack, <const int8_t*> &w[0], bp, a_zero_point, m,
                                  &scale[0] if scale.shape[0] else NULL,
                                  &multiplier[0] if multiplier.shape[0] else NULL,
                                  &shift[0] if shift.shape[0] else NULL, &packed[0])
        else:
            rc = qk_pack_gemm_qu8(n, kc, ks, nr, kr, sr, pack, &w[0], bp, a_zero_point, w_zero_point, m,
                                  &scale[0] if scale.shape[0] else NULL,
                                  &multiplier[0] if multiplier.shape[0] else NULL,
                                  &shift[0] if shift.shape[0] else NULL, &packed[0])
    if rc != 0:
        raise ValueError(f"packing failed for tile nr={nr} kr={kr} sr={sr}")


cdef inline size_t _span(size_t rows, size_t stride, size_t last) noexcept:
    """Bytes touched by `rows` rows `stride` apart whose last row uses `last` bytes."""
    return (rows - 1) * stride + last


def im2col(const uint8_t[::1] x, size_t batch, size_t h, size_t w, size_t c, size_t kh, size_t kw,
           size_t sh, size_t sw, size_t dh, size_t dw, size_t pt, size_t pl, size_t oh, size_t ow,
           int pad, uint8_t[::1] out, size_t threads):
    """out[batch*oh*ow][kh*kw*c] = the input bytes each output pixel's window reads (pad outside)."""
    cdef qk_im2col_geometry g
    if min(batch, h, w, c, kh, kw, sh, sw, dh, dw, oh, ow, threads) == 0:
        raise ValueError("im2col sizes, strides, dilations and threads must be positive")
    if not 0 <= pad <= 255:
        raise ValueError("pad must be a byte value")
    # every coordinate the C code forms (computed here in Python ints) stays
    # far from size_t wrap-around, on 32-bit platforms too
    cdef object far = (<object> <size_t> -1) >> 2
    if max((<object> oh - 1) * sh + (<object> kh - 1) * dh, (<object> ow - 1) * sw + (<object> kw - 1) * dw,
           <object> pt, <object> pl) > far:
        raise ValueError("im2col geometry out of range")
    if <size_t> x.shape[0] != batch * h * w * c:
        raise ValueError(f"x must hold batch*h*w*c = {batch * h * w * c} bytes, got {x.shape[0]}")
    if <size_t> out.shape[0] != batch * oh * ow * kh * kw * c:
        raise ValueError(f"out must hold {batch * oh * ow * kh * kw * c} bytes, got {out.shape[0]}")
    g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.oh, g.ow = \
        h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow
    with nogil:
        qk_im2col(&g, batch, &x[0], <uint8_t> pad, &out[0], threads)


def gemm_run(str family, variant, size_t groups, size_t m, size_t n, size_t kc,
             const uint8_t[::1] a, size_t a_stride, const uint8_t[::1] packed, size_t packed_group_stride,
             uint8_t[::1] c, size_t c_stride, int32_t a_zero_point, int32_t w_zero_point, str mode,
             int32_t zero_point, int32_t qmin, int32_t qmax, size_t threads):
    """c[m][groups*n] = requant(a[m][groups*kc] x packed) through the plain-GEMM driver."""
    cdef const qk_ukernel* k = _ukernel(family, variant)
    cdef qk_gemm_params p
    cdef int32_t md = _gemm_mode(mode)
    if m == 0 or n == 0:
        return
    if groups == 0 or kc == 0 or a_stride < groups * kc or c_stride < groups * n:
        raise ValueError("bad gemm geometry")
    if <size_t> a.shape[0] < _span(m, a_stride, groups * kc):
        raise ValueError("a is too small for m rows")
    if <size_t> c.shape[0] < _span(m, c_stride, groups * n):
        raise ValueError("c is too small for m rows")
    if packed_group_stride < qk_gemm_packed_bytes(n, kc, 1, k.nr, k.kr, k.pack, md) or \
            <size_t> packed.shape[0] < _span(groups, packed_group_stride, qk_gemm_packed_bytes(n, kc, 1, k.nr, k.kr, k.pack, md)):
        raise ValueError("packed weights too small for this kernel")
    qk_gemm_params_init(&p, a_zero_point, w_zero_point, md, zero_point, qmin, qmax)
    with nogil:
        qk_run_gemm(k, groups, m, n, kc, &a[0], a_stride, &packed[0], packed_group_stride, &c[0], c_stride, &p,
                    threads)


def igemm_run(str family, variant, size_t batch, size_t groups, size_t m, size_t n, size_t kc, size_t ks,
              const uint8_t[::1] indirection, size_t base, const uint8_t[::1] a, size_t a_batch_stride,
              const uint8_t[::1] zero, const uint8_t[::1] packed, size_t packed_group_stride,
              uint8_t[::1] c, size_t c_stride, size_t c_batch_stride, int32_t a_zero_point,
              int32_t w_zero_point, str mode, int32_t zero_point, int32_t qmin, int32_t qmax, size_t threads):
    """Convolution through an indirection buffer of pointers built for input address `base`
    (qkernels/_conv.py); `a` is the input actually used now (a_offset = &a[0] - base)."""
    cdef const qk_ukernel* k = _ukernel(family, variant)
    cdef qk_gemm_params p
    cdef int32_t md = _gemm_mode(mode)
    cdef size_t tiles = (m + k.mr - 1) // k.mr
    if batch == 0 or m == 0 or n == 0:
        return
    if groups == 0 or kc == 0 or ks == 0:
        raise ValueError("bad igemm geometry")
    if <size_t> indirection.shape[0] != tiles * ks * k.mr * sizeof(void*):
        raise ValueError(f"indirection buffer does not match {k.name.decode()} (mr={k.mr})")
    if <size_t> zero.shape[0] < kc:
        raise ValueError("zero row too short")
    if <size_t> a.shape[0] < batch * a_batch_stride:
        raise ValueError("a is too small for the batch")
    if <size_t> c.shape[0] < _span(batch, c_batch_stride, _span(m, c_stride, groups * n)):
        raise ValueError("c is too small")
    if packed_group_stride < qk_gemm_packed_bytes(n, kc, ks, k.nr, k.kr, k.pack, md) or \
            <size_t> packed.shape[0] < _span(groups, packed_group_stride, qk_gemm_packed_bytes(n, kc, ks, k.nr, k.kr, k.pack, md)):
        raise ValueError("packed weights too small for this kernel")
    qk_gemm_params_init(&p, a_zero_point, w_zero_point, md, zero_point, qmin, qmax)
    cdef size_t a_offset = <size_t> <const void*> &a[0] - base
    with nogil:
        qk_run_igemm(k, batch, groups, m, n, kc, ks, <const void* const*> <const void*> &indirection[0], a_offset,
                     a_batch_stride, &zero[0], &packed[0], packed_group_stride, &c[0], c_stride, c_batch_stride,
                     &p, threads)


def gemm_variant_tile(str family, variant=None):
    """(name, mr, nr, kr, sr, pack) of the given or selected variant (pack: its packed-weights format)."""
    cdef const qk_ukernel* k = _ukernel(family, variant)
    return (k.name.decode(), k.mr, k.nr, k.kr, k.sr, k.pack)


def address(const uint8_t[::1] buf):
    """Address of the first byte of a non-empty buffer (for indirection buffers)."""
    return <size_t> <const void*> &buf[0]
