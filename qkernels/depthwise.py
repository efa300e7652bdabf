"""qk.DepthwiseConv2d: quantized depthwise 2-D convolution on the C microkernels.

Weights are packed once, in the constructor (csrc/pack/dwconv.c); the
indirection buffer of input offsets is built once per input (H, W) and
cached; each call then runs one microkernel call per output row on the
thread pool.  Semantics: qkernels.reference.depthwise_conv2d, bit for bit.
"""
import threading

import numpy as np

from . import _conv, _ext, _quant, _validate as V

MAX_TAPS = int(_ext.DWCONV_MAX_TAPS)


# Geometry arguments beyond this are certainly mistakes; bounding them keeps
# every size computation (here and in the C indirection builder) far from overflow.
MAX_GEOMETRY = 65535


def _cap(name, values):
    for v in values:
        if v > MAX_GEOMETRY:
            raise ValueError(f"{name} must be at most {MAX_GEOMETRY}, got {v}")
    return values


def _pair(name, value, lo):
    """An int or a pair of ints, each in [lo, MAX_GEOMETRY] -> (a, b) (qkernels._conv rules)."""
    return _cap(name, _conv.pair(name, value, lo))


def parse_padding(padding):
    """'same', or (top, bottom, left, right) from an int, a pair or 'valid' (as qk.Conv2d)."""
    pad = _conv.padding(padding)
    return pad if pad == "same" else _cap("padding", pad)


def conv_output_geometry(h, w, kh, kw, stride, padding, dilation):
    """((oh, ow), (pad_top, pad_bottom, pad_left, pad_right), (sh, sw), (dh, dw)).

    The geometry of qk.Conv2d (qkernels._conv): int/pair padding is symmetric,
    "same" follows TensorFlow (output = ceil(input / stride), the extra pixel
    of an odd total padding at the bottom/right)."""
    stride = _pair("stride", stride, 1)
    dilation = _pair("dilation", dilation, 1)
    return _resolved_geometry(h, w, kh, kw, stride, parse_padding(padding), dilation)


def _resolved_geometry(h, w, kh, kw, stride, pad, dilation):
    """conv_output_geometry for already parsed arguments."""
    pads = _conv.resolve(pad, h, w, kh, kw, stride, dilation)
    return _conv.output_size(h, w, kh, kw, stride, dilation, pads), pads, stride, dilation


def _packed_bytes(channels, cr, taps, sr, mode, mul8=False):
    """qk_dwconv_packed_bytes / qk_dwconv_mul8_packed_bytes (mul8: int8 taps) in Python ints
    (the C size_t would wrap on 32-bit)."""
    weights = -(-(taps * cr) // 4) * 4 if mul8 else -(-taps // sr) * sr * cr * 2
    block = cr * 4 + weights + cr * (4 if mode == "fp32" else 16)
    return -(-channels // cr) * block


def _indirection_entries(kh, kw, taps, stride, dilation, oh, ow):
    """Entries of the indirection buffer: qk_dwconv_indirection_layout in Python ints."""
    if kh == kw and kh * kw == taps and dilation[1] == 1 and stride[1] <= kw:  # compact layout
        return oh * kh * (kw + (ow - 1) * stride[1])
    return oh * taps * ow


def _rebuild(kwargs):
    return DepthwiseConv2d(**kwargs)


class DepthwiseConv2d:
    """Depthwise convolution, NHWC input ([N,H,W,C] or [H,W,C]), weight [KH,KW,C], depth multiplier 1.

    int8 weight -> qs8 (int8 activations, weight_zero_point 0, weight_scale a
    scalar or one per channel); uint8 weight -> qu8 (uint8 activations,
    per-tensor weight_scale, any weight_zero_point).  bias: int32 [C] with
    scale input_scale*weight_scale.  Kernels up to 25 taps (KH*KW <= 25).  stride,
    padding (int, pair, "same", "valid") and dilation follow qk.Conv2d (qkernels._conv).
    Immutable, picklable, callable from several threads at once.
    """

    def __init__(self, weight, bias=None, *, stride=1, padding=0, dilation=1, input_scale, input_zero_point,
                 weight_scale, weight_zero_point=0, output_scale, output_zero_point, output_min=None,
                 output_max=None, requantization="fp32"):
        w = V.array("weight", weight, [np.int8, np.uint8], 3, 3, contiguous=False)
        kh, kw, c = w.shape
        if kh == 0 or kw == 0 or c == 0:
            raise ValueError(f"weight must have a non-empty [KH, KW, C] shape, got {w.shape}")
        if kh * kw > MAX_TAPS:
            raise ValueError(f"weight: a {kh}x{kw} kernel has {kh * kw} taps; at most {MAX_TAPS} are supported")
        dt = w.dtype
        signed = dt == np.int8
        b = None
        if bias is not None:
            b = V.array("bias", bias, np.int32, 1, 1)
            if b.shape[0] != c:
                raise ValueError(f"bias must have shape ({c},) (one per channel), got {b.shape}")
        sh, sw = _pair("stride", stride, 1)
        dh, dw = _pair("dilation", dilation, 1)
        pad = parse_padding(padding)
        in_scale = V.scale("input_scale", input_scale)
        in_zp = V.zero_point("input_zero_point", input_zero_point, dt)
        w_scale = V.scale("weight_scale", weight_scale, allow_vector=signed)
        if isinstance(w_scale, np.ndarray) and w_scale.shape[0] != c:
            raise ValueError(f"weight_scale must be a scalar or have {c} entries (one per channel), "
                             f"got shape {w_scale.shape}")
        if signed:
            if V.integer("weight_zero_point", weight_zero_point) != 0:
                raise ValueError(f"weight_zero_point must be 0 for int8 weights, got {weight_zero_point}")
            w_zp = 0
        else:
            w_zp = V.zero_point("weight_zero_point", weight_zero_point, dt)
        out_scale = V.scale("output_scale", output_scale)
        out_zp = V.zero_point("output_zero_point", output_zero_point, dt)
        qmin, qmax = V.clamp(output_min, output_max, dt)
        mode = _quant.mode(requantization)
        # Before anything of size C is allocated: the packed weights of the kernel
        # calls use (int16 weights plus bias and requantization data per channel).
        family = ("qs8" if signed else "qu8") + "_dwconv%d" % (9 if kh * kw <= 9 else 25)
        _, _, cr, taps, sr = _ext.variant_info(family, _ext.selected(family))
        V.nbytes("weight", "the packed weights", _packed_bytes(c, cr, taps, sr, mode))
        w = V.contiguous_array(w)
        real = in_scale * np.broadcast_to(np.asarray(w_scale, dtype=np.float64), (c,)) / out_scale
        if mode == "fp32":
            rq = (np.ascontiguousarray(_quant.fp32_scales(real), dtype=np.float32), None, None)
        else:
            mult, shift = _quant.gemmlowp_params(real)
            rq = (None, np.ascontiguousarray(mult, np.int32), np.ascontiguousarray(shift, np.int32))

        d = self.__dict__
        d["_kwargs"] = dict(weight=w.copy(), bias=None if b is None else b.copy(), stride=(sh, sw),
                            padding=pad if pad == "same" else (pad[0], pad[2]), dilation=(dh, dw), input_scale=in_scale, input_zero_point=in_zp,
                            weight_scale=w_scale.copy() if isinstance(w_scale, np.ndarray) else w_scale,
                            weight_zero_point=w_zp, output_scale=out_scale, output_zero_point=out_zp,
                            output_min=qmin, output_max=qmax, requantization=mode)
        d["dtype"] = dt
        d["kernel_size"] = (kh, kw)
        d["channels"] = c
        d["stride"], d["padding"], d["dilation"] = (sh, sw), pad, (dh, dw)
        d["requantization"] = mode
        d["_taps"] = 9 if kh * kw <= 9 else 25
        base = ("qs8" if signed else "qu8") + "_dwconv%d" % self._taps
        # qs8 3x3-class weights all in [-127, 127] (TFLite's symmetric range)
        # may use the int8-weight kernels (csrc/include/qkernels/dwconv.h);
        # they are taken when this machine has a SIMD one (their only x86
        # variant is the scalar twin, slower than the int16 SIMD kernels).
        mul8 = base + "_mul8"
        mul8_ok = signed and self._taps == 9 and int(w.min()) > -128
        d["_families"] = (base, mul8) if mul8_ok else (base,)
        use_mul8 = mul8_ok and (not _ext.selected(mul8).endswith("__scalar")
                                or _ext.selected(base).endswith("__scalar"))
        d["_family"] = mul8 if use_mul8 else base
        d["_wbytes"] = w.reshape(-1).view(np.uint8)
        d["_bias"], d["_signed"], d["_wzp"], d["_izp"], d["_rq"] = b, signed, w_zp, in_zp, rq
        d["_out"] = (out_zp, qmin, qmax)
        d["_zero"] = np.full(c, in_zp, dtype=dt).view(np.uint8)  # padding taps read this row
        d["_lock"] = threading.Lock()
        d["_packed"] = {}
        d["_geometry"] = {}
        d["_calls"] = V.CallCache(dt)
        self._packed_for(None)  # pack for the kernel calls use, now

    def __setattr__(self, name, value):
        raise AttributeError("DepthwiseConv2d is immutable")

    def __delattr__(self, name):
        raise AttributeError("DepthwiseConv2d is immutable")

    def __reduce__(self):
        return (_rebuild, (self._kwargs,))

    def __repr__(self):
        kh, kw = self.kernel_size
        return (f"DepthwiseConv2d({self.dtype}, kernel={kh}x{kw}, channels={self.channels}, stride={self.stride}, "
                f"padding={self.padding!r}, dilation={self.dilation}, requantization={self.requantization!r})")

    @property
    def kernel(self):
        """The microkernel calls use on this machine (a qs8_dwconv_mul8_* name:
        the int8-weight kernels, chosen for weights in [-127, 127])."""
        return _ext.selected(self._family)

    def _family_of(self, variant):
        """The family of a variant name (None: the selected kernel's)."""
        if variant is None:
            return self._family
        for f in self._families:
            if variant in _ext.variants(f, False):
                return f
        return self._families[0]  # unknown names fail in _ext with the family named

    def _packed_for(self, variant):
        """Packed weights in the layout of `variant` (None: the selected one), cached."""
        p = self._packed.get(variant)  # by name (None: the selected kernel); the common path
        if p is not None:
            return p
        family = self._family_of(variant)
        name = variant if variant is not None else _ext.selected(family)
        _, _mr, cr, taps, sr = _ext.variant_info(family, name)
        mul8 = _ext.dwconv_family_is_mul8(family)
        key = (mul8, cr, taps, sr)
        p = self._packed.get(key)
        if p is None:
            with self._lock:
                p = self._packed.get(key)
                if p is None:
                    kh, kw = self.kernel_size
                    nbytes = V.nbytes("weight", "the packed weights",
                                      _packed_bytes(self.channels, cr, taps, sr, self.requantization, mul8))
                    if nbytes != _ext.dwconv_packed_bytes(self.channels, cr, taps, sr, self.requantization, mul8):
                        raise AssertionError("packed size formula disagrees with qk_dwconv_packed_bytes")
                    p = np.empty(nbytes // 4, dtype=np.int32).view(np.uint8)  # 4-byte aligned
                    scale, mult, shift = self._rq
                    _ext.dwconv_pack(self._wbytes, kh, kw, self.channels, cr, taps, sr, self._signed, self._wzp,
                                     self._izp, self._bias, self.requantization, scale, mult, shift, p, mul8)
                    p.flags.writeable = False
                    self._packed[key] = p
        self._packed[variant] = p  # dict assignment is atomic; racing threads store the same array
        return p

    def _geometry_for(self, h, w):
        """(geometry tuple, (oh, ow), DwconvIndirection) for an input of h x w pixels, cached."""
        g = self._geometry.get((h, w))
        if g is None:
            kh, kw = self.kernel_size
            (oh, ow), pads, _, _ = _resolved_geometry(h, w, kh, kw, self.stride, self.padding, self.dilation)
            self._check_indirection(oh, ow)
            geom = (h, w, self.channels, kh, kw, self._taps, self.stride[0], self.stride[1], self.dilation[0],
                    self.dilation[1], pads[0], pads[2], oh, ow)
            ind = _ext.DwconvIndirection(geom)  # built once per input size, reused by every call
            g = (geom, (oh, ow), ind)
            with self._lock:
                if len(self._geometry) >= 16:  # a few input sizes are typical; bound the cache
                    self._geometry.clear()
                self._geometry[(h, w)] = g
        return g

    def _check_indirection(self, oh, ow):
        kh, kw = self.kernel_size
        V.nbytes("x", "the indirection buffer",
                 _indirection_entries(kh, kw, self._taps, self.stride, self.dilation, oh, ow), V.POINTER_BYTES)

    def __call__(self, x, out=None, threads=None):
        y = self._calls.call(x, out, threads)  # a shape already run (qkernels._validate.CallCache)
        return self._run(x, out, threads, None) if y is None else y

    def _run(self, x, out, threads, kernel, repeat=1):
        x = V.array("x", x, self.dtype, 3, 4, contiguous=False)
        if x.shape[-1] != self.channels:
            raise ValueError(f"x must have {self.channels} channels in its last axis (NHWC), got shape {x.shape}")
        squeeze = x.ndim == 3
        xb = x[None] if squeeze else x
        n, h, w, _ = xb.shape
        if h == 0 or w == 0:
            raise ValueError(f"x must have a non-empty spatial size, got shape {x.shape}")
        nthreads = V.threads(threads)
        # Sizes first (result, indirection buffer), then allocations and the input copy.
        kh, kw = self.kernel_size
        (oh, ow), _, _, _ = _resolved_geometry(h, w, kh, kw, self.stride, self.padding, self.dilation)
        shape = (oh, ow, self.channels) if squeeze else (n, oh, ow, self.channels)
        self._check_indirection(oh, ow)
        result = V.out(out, shape, self.dtype, inputs=(x,))  # checks the result's size first
        if n == 0:
            return result
        geom, _, ind = self._geometry_for(h, w)
        xb = V.contiguous_array(xb)
        packed = self._packed_for(kernel)
        zp, qmin, qmax = self._out
        _ext.dwconv_run(self._family_of(kernel), kernel, ind, n, xb.reshape(-1).view(np.uint8), self._zero, packed,
                        result.reshape(-1).view(np.uint8), self.requantization, zp, qmin, qmax, nthreads,
                        repeat)
        if kernel is None:
            family, zero, mode = self._family, self._zero, self.requantization

            def run(y, nthreads, x):  # references no self: no cycle keeps a dropped operator alive
                _ext.dwconv_run(family, None, ind, n, x, zero, packed, y, mode, zp, qmin, qmax, nthreads, 1)
            self._calls.store(x.shape, shape, run)
        return result
