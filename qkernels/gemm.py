"""qk.Linear and qk.Conv2d: quantized operators on the 8-bit GEMM family.

Both pack their weights once, in the constructor, for the kernel dispatch
selects (or the one named by `kernel=`, which tests use to run every variant),
and are then immutable: a call only reads the operator's state, so several
Python threads may call one operator at once.  Pickling stores the original
constructor arguments and packs again on unpickling (the packed layout
depends on the machine's kernel).

Semantics are DESIGN.md section 4; qkernels.reference.linear / conv2d are the
numpy twins.
"""
import math
import threading

import numpy as np

from . import _conv, _ext, _quant
from . import _validate as V
from . import reference as _ref

_FAMILY = {np.dtype(np.int8): "qs8_gemm", np.dtype(np.uint8): "qu8_gemm"}
_IM2COL_MAX_CIN = 8  # below kr of every kernel: IGEMM taps would all be K tails
_INDIRECTION_CACHE_SIZE = 16


def _aligned_zeros(nbytes, align=64):
    """A zeroed uint8 buffer whose data starts on an `align`-byte boundary."""
    raw = np.zeros(nbytes + align, dtype=np.uint8)
    start = (-raw.ctypes.data) % align
    return raw[start:start + nbytes]


def _rebuild(cls, kwargs):
    return cls(**kwargs)


class _QuantizedGemm:
    """Validation, packing, immutability and pickling shared by Linear and Conv2d."""

    def _setup(self, weight, bias, groups, taps, kc, kwargs):
        dt = self._dtype = weight.dtype
        family = self._family = _FAMILY[dt]
        n = weight.shape[0]
        self._n = n
        mode = _quant.mode(kwargs["requantization"])
        kernel = kwargs.get("kernel")
        if kernel is not None and not isinstance(kernel, str):
            raise TypeError(f"kernel must be a kernel name or None, got {type(kernel).__name__}")
        name, mr, nr, kr, sr, fmt = _ext.gemm_variant_tile(family, kernel)
        # Before anything of size N or N*K is allocated or copied: the packed
        # buffer, computed here in Python ints (the C helper's size_t would wrap
        # on 32-bit).  Copies of the weight need no check: numpy caps the weight
        # view itself at sys.maxsize bytes.
        n_g = n // groups
        wbytes = _ext.gemm_pack_weight_bytes(fmt)  # bytes per packed weight in the variant's format
        block = nr * 4 + taps * (-(-kc // kr) * kr) * nr * wbytes + nr * (8 if mode == "gemmlowp" else 4)
        group_bytes = -(-n_g // nr) * block
        group_stride = -(-group_bytes // 64) * 64
        V.nbytes("weight", "the packed weights", group_stride * groups + 64)
        input_scale = V.scale("input_scale", kwargs["input_scale"])
        output_scale = V.scale("output_scale", kwargs["output_scale"])
        weight_scale = V.scale("weight_scale", kwargs["weight_scale"], allow_vector=True)
        if isinstance(weight_scale, np.ndarray):
            if dt == np.uint8 and weight_scale.size != 1:
                raise ValueError("weight_scale must be a scalar for uint8 weights (qu8 is per-tensor), "
                                 f"got shape {weight_scale.shape}")
            if weight_scale.size not in (1, n):
                raise ValueError(f"weight_scale must be a scalar or have {n} entries (one per output channel), "
                                 f"got shape {weight_scale.shape}")
            weight_scale = float(weight_scale[0]) if weight_scale.size == 1 else weight_scale
        if dt == np.int8:
            wzp = V.integer("weight_zero_point", kwargs["weight_zero_point"])
            if wzp != 0:
                raise ValueError(f"weight_zero_point must be 0 for int8 weights (symmetric), got {wzp}")
        else:
            wzp = V.zero_point("weight_zero_point", kwargs["weight_zero_point"], dt)
        izp = V.zero_point("input_zero_point", kwargs["input_zero_point"], dt)
        ozp = V.zero_point("output_zero_point", kwargs["output_zero_point"], dt)
        qmin, qmax = V.clamp(kwargs["output_min"], kwargs["output_max"], dt)
        if bias is not None:
            bias = V.array("bias", bias, np.int32, 1, 1)
            if bias.shape[0] != n:
                raise ValueError(f"bias must have shape ({n},), got {bias.shape}")

        real = np.broadcast_to(_ref.real_scale(input_scale, weight_scale, output_scale), (n,))
        empty_f, empty_i = np.zeros(0, np.float32), np.zeros(0, np.int32)
        if mode == "fp32":
            scale, mult, shift = np.ascontiguousarray(_quant.fp32_scales(real), dtype=np.float32), empty_i, empty_i
        else:
            m, s = _quant.gemmlowp_params(real)
            scale, mult, shift = empty_f, np.ascontiguousarray(m, np.int32), np.ascontiguousarray(s, np.int32)

        if group_bytes != _ext.gemm_packed_bytes(n_g, kc, taps, nr, kr, mode, fmt):
            raise AssertionError("packed size formula disagrees with qk_gemm_packed_bytes")
        packed = _aligned_zeros(group_stride * groups)
        w2 = np.ascontiguousarray(weight).reshape(groups, n_g * taps * kc).view(np.uint8)
        for g in range(groups):
            sl = slice(g * n_g, (g + 1) * n_g)
            _ext.gemm_pack(family, nr, kr, sr, w2[g], n_g, kc, taps, None if bias is None else bias[sl], izp, wzp, mode,
                           scale[sl] if scale.size else scale, mult[sl] if mult.size else mult,
                           shift[sl] if shift.size else shift,
                           packed[g * group_stride:g * group_stride + group_bytes], fmt)
        packed.flags.writeable = False
        self._kernel, self._mr = name, int(mr)
        self._packed, self._group_stride = packed, group_stride
        self._izp, self._wzp, self._ozp, self._qmin, self._qmax, self._mode = izp, wzp, ozp, qmin, qmax, mode
        self._groups, self._kc, self._taps = groups, kc, taps
        self._calls = V.CallCache(dt)  # repeat calls of an input shape already run

    # immutability and pickling
    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(f"{type(self).__name__} is immutable")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self):
        return (_rebuild, (type(self), dict(self._args)))

    def _freeze(self, args):
        for v in args.values():
            if isinstance(v, np.ndarray):
                v.flags.writeable = False
        self._args = args
        self._frozen = True

    @property
    def kernel(self):
        """Name of the microkernel this operator was packed for and runs."""
        return self._kernel

    @property
    def dtype(self):
        return self._dtype

    @property
    def requantization(self):
        return self._mode

    def _gemm_runner(self, groups, m, n_g, kc, a_stride, c_stride):
        """run(y, nthreads, a) on flat byte views: the GEMM of a call of these sizes.
        Kept by V.CallCache for repeat calls, so it references no self (no cycle)."""
        gemm_run, family, kernel, packed, group_stride = _ext.gemm_run, self._family, self._kernel, self._packed, \
            self._group_stride
        izp, wzp, mode, ozp, qmin, qmax = self._izp, self._wzp, self._mode, self._ozp, self._qmin, self._qmax

        def run(y, nthreads, a):
            gemm_run(family, kernel, groups, m, n_g, kc, a, a_stride, packed, group_stride, y, c_stride, izp, wzp,
                     mode, ozp, qmin, qmax, nthreads)
        return run


def _copy(x):
    return None if x is None else np.array(x, copy=True)


def _quant_kwargs(input_scale, input_zero_point, weight_scale, weight_zero_point, output_scale, output_zero_point,
                  output_min, output_max, requantization, kernel):
    return dict(input_scale=input_scale, input_zero_point=input_zero_point,
                weight_scale=_copy(weight_scale) if isinstance(weight_scale, (np.ndarray, list, tuple)) else weight_scale,
                weight_zero_point=weight_zero_point, output_scale=output_scale, output_zero_point=output_zero_point,
                output_min=output_min, output_max=output_max, requantization=requantization, kernel=kernel)


class Linear(_QuantizedGemm):
    """Quantized fully-connected layer: weight [N, K] int8 (qs8) or uint8 (qu8);
    op(x) maps x [..., K] of the same dtype to [..., N]."""

    def __init__(self, weight, bias=None, *, input_scale, input_zero_point, weight_scale, weight_zero_point=0,
                 output_scale, output_zero_point, output_min=None, output_max=None, requantization="fp32",
                 kernel=None):
        weight = V.array("weight", weight, [np.int8, np.uint8], 2, 2, contiguous=False)
        if weight.shape[0] < 1 or weight.shape[1] < 1:
            raise ValueError(f"weight must have positive dimensions [N, K], got shape {weight.shape}")
        args = _quant_kwargs(input_scale, input_zero_point, weight_scale, weight_zero_point, output_scale,
                             output_zero_point, output_min, output_max, requantization, kernel)
        self._setup(weight, bias, 1, 1, weight.shape[1], args)
        self._k = int(weight.shape[1])
        args.update(weight=np.array(weight, copy=True), bias=_copy(bias))
        self._freeze(args)

    @property
    def in_features(self):
        return self._k

    @property
    def out_features(self):
        return self._n

    def __repr__(self):
        return (f"qk.Linear({self._k} -> {self._n}, {self._dtype}, requantization={self._mode!r}, "
                f"kernel={self._kernel!r})")

    def __call__(self, x, out=None, threads=None):
        y = self._calls.call(x, out, threads)
        if y is not None:
            return y
        x = V.array("x", x, self._dtype, 1, contiguous=False)
        if x.shape[-1] != self._k:
            raise ValueError(f"x must have {self._k} features in its last dimension, got shape {x.shape}")
        shape = x.shape[:-1] + (self._n,)
        nthreads = V.threads(threads)
        y = V.out(out, shape, self._dtype, inputs=(x,))  # checks the result's size first
        x = V.contiguous_array(x)
        m = math.prod(x.shape[:-1])
        if m:
            run = self._gemm_runner(1, m, self._n, self._k, self._k, self._n)
            run(V.flat_bytes(y), nthreads, V.flat_bytes(x))
            self._calls.store(x.shape, shape, run)
        return y


class Conv2d(_QuantizedGemm):
    """Quantized 2-D convolution: weight OHWI [Cout, KH, KW, Cin/groups], input NHWC
    [N, H, W, Cin] or [H, W, Cin]; padding with the input zero point.

    1x1 stride-1 unpadded convolutions run as a plain GEMM over all pixels;
    the others through the IGEMM kernels and an indirection buffer built once
    per input size and cached on the operator.
    """

    def __init__(self, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1, input_scale,
                 input_zero_point, weight_scale, weight_zero_point=0, output_scale, output_zero_point,
                 output_min=None, output_max=None, requantization="fp32", kernel=None):
        weight = V.array("weight", weight, [np.int8, np.uint8], 4, 4, contiguous=False)
        if min(weight.shape) < 1:
            raise ValueError(f"weight must have positive dimensions [Cout, KH, KW, Cin/groups], got shape {weight.shape}")
        self._stride = _conv.pair("stride", stride)
        self._dilation = _conv.pair("dilation", dilation)
        self._padding = _conv.padding(padding)
        groups = V.integer("groups", groups, 1)
        cout, kh, kw, cin_g = (int(s) for s in weight.shape)
        if cout % groups:
            raise ValueError(f"groups ({groups}) must divide the output channels ({cout}) of weight")
        args = _quant_kwargs(input_scale, input_zero_point, weight_scale, weight_zero_point, output_scale,
                             output_zero_point, output_min, output_max, requantization, kernel)
        self._kh, self._kw, self._cin_g, self._cout = kh, kw, cin_g, cout
        self._pointwise = kh == 1 and kw == 1 and self._stride == (1, 1) and self._padding == (0, 0, 0, 0)
        # Few input channels (the Cin=3 stem of every MobileNet): IGEMM would
        # run a K-tail of kc < kr once per tap, 9 times per row; an im2col copy
        # (KH*KW*Cin bytes per output pixel) turns the layer into one GEMM with
        # K = KH*KW*Cin.  OHWI weights are already in im2col order, so the same
        # packing with one tap of KH*KW*Cin channels serves it.
        self._im2col = groups == 1 and cin_g < _IM2COL_MAX_CIN and not self._pointwise
        if self._im2col:
            self._setup(weight, bias, groups, 1, kh * kw * cin_g, args)
        else:
            self._setup(weight, bias, groups, kh * kw, cin_g, args)
        self._zero = np.full(cin_g, self._izp, dtype=self._dtype).view(np.uint8)
        self._zero.flags.writeable = False
        self._zero_address = _ext.address(self._zero)
        self._cache = {}
        self._cache_lock = threading.Lock()
        args.update(weight=np.array(weight, copy=True), bias=_copy(bias), stride=stride, padding=padding,
                    dilation=dilation, groups=groups)
        self._freeze(args)

    @property
    def stride(self):
        return self._stride

    @property
    def dilation(self):
        return self._dilation

    @property
    def groups(self):
        return self._groups

    def __repr__(self):
        return (f"qk.Conv2d({self._cin_g * self._groups} -> {self._cout}, kernel_size=({self._kh}, {self._kw}), "
                f"stride={self._stride}, padding={self._args['padding']!r}, dilation={self._dilation}, "
                f"groups={self._groups}, {self._dtype}, requantization={self._mode!r}, kernel={self._kernel!r})")

    def _geometry(self, h, w, x_flat):
        """(OH, OW, pads, indirection, base) for an h x w input, cached per size."""
        key = (h, w)
        entry = self._cache.get(key)
        if entry is None:
            pads = _conv.resolve(self._padding, h, w, self._kh, self._kw, self._stride, self._dilation)
            oh, ow = _conv.output_size(h, w, self._kh, self._kw, self._stride, self._dilation, pads)
            ind = None
            base = 0
            if self._im2col:
                ind = pads  # the C im2col needs only the geometry
            elif not self._pointwise:
                # Pointers are made for this input's address; later calls pass
                # their own input and the kernels add the difference.  The zero
                # row is a separate live buffer, so no real pointer equals it.
                base = _ext.address(x_flat)
                ind = _conv.indirection(h, w, self._cin_g * self._groups, self._kh, self._kw, self._stride,
                                        self._dilation, pads, oh, ow, self._mr, base, self._zero_address)
                ind = ind.view(np.uint8)
                ind.flags.writeable = False
            entry = (oh, ow, ind, base)
            with self._cache_lock:
                if len(self._cache) >= _INDIRECTION_CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = entry
        return entry

    def _check_sizes(self, n, h, w, oh, ow):
        """ValueError naming x when a buffer this call would build exceeds the limit."""
        cin = self._cin_g * self._groups
        if self._im2col:
            k = self._kh * self._kw * cin
            V.nbytes("x", "the im2col matrix", (n, oh * ow, k))
        elif not self._pointwise:
            rows = -(-(oh * ow) // self._mr) * self._mr
            # built with 64-bit temporaries, stored as pointers
            V.nbytes("x", "the indirection buffer", (rows, self._kh * self._kw), 8)

    def _runner(self, n, h, w, x_flat):
        """run(y, nthreads, x) on flat byte views: the kernels of a call on n images of
        h x w (sizes checked by the caller), for V.CallCache: references no self."""
        oh, ow, ind, base = self._geometry(h, w, x_flat)
        cin = self._cin_g * self._groups
        n_g = self._cout // self._groups
        if self._pointwise:
            return self._gemm_runner(self._groups, n * h * w, n_g, self._cin_g, cin, self._cout)
        if self._im2col:
            k = self._kh * self._kw * cin
            gemm = self._gemm_runner(1, n * oh * ow, n_g, k, k, self._cout)
            im2col, dt, cols_shape, izp = _ext.im2col, self._dtype, (n, oh * ow, k), self._izp & 0xFF
            kh, kw, (sh, sw), (dh, dw), (pt, _, pl, _) = self._kh, self._kw, self._stride, self._dilation, ind

            def run(y, nthreads, x):
                cols = V.flat_bytes(np.empty(cols_shape, dtype=dt))
                im2col(x, n, h, w, cin, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, izp, cols, nthreads)
                gemm(y, nthreads, cols)
            return run
        igemm_run, family, kernel, groups, cin_g, ks = _ext.igemm_run, self._family, self._kernel, self._groups, \
            self._cin_g, self._kh * self._kw
        zero, packed, group_stride, cout = self._zero, self._packed, self._group_stride, self._cout
        izp, wzp, mode, ozp, qmin, qmax = self._izp, self._wzp, self._mode, self._ozp, self._qmin, self._qmax

        def run(y, nthreads, x):
            igemm_run(family, kernel, n, groups, oh * ow, n_g, cin_g, ks, ind, base, x, h * w * cin, zero, packed,
                      group_stride, y, cout, oh * ow * cout, izp, wzp, mode, ozp, qmin, qmax, nthreads)
        return run

    def __call__(self, x, out=None, threads=None):
        y = self._calls.call(x, out, threads)
        if y is not None:
            return y
        x = V.array("x", x, self._dtype, 3, 4, contiguous=False)
        batched = x.ndim == 4
        x4 = x if batched else x[None]
        n, h, w, c = (int(s) for s in x4.shape)
        cin = self._cin_g * self._groups
        if c != cin:
            raise ValueError(f"x must have {cin} channels in its last dimension (NHWC), got shape {x.shape}")
        if h < 1 or w < 1:
            raise ValueError(f"x must have positive height and width, got shape {x.shape}")
        nthreads = V.threads(threads)
        pads = _conv.resolve(self._padding, h, w, self._kh, self._kw, self._stride, self._dilation)
        oh, ow = _conv.output_size(h, w, self._kh, self._kw, self._stride, self._dilation, pads)
        shape = (n, oh, ow, self._cout) if batched else (oh, ow, self._cout)
        if n == 0:
            return V.out(out, shape, self._dtype, inputs=(x,))
        # Every size this call implies is checked before anything is allocated or copied.
        self._check_sizes(n, h, w, oh, ow)
        y = V.out(out, shape, self._dtype, inputs=(x,))  # checks the result's size first
        x = V.contiguous_array(x)
        x4 = x if batched else x[None]
        x_flat = x4.reshape(-1).view(np.uint8)
        run = self._runner(n, h, w, x_flat)
        run(V.flat_bytes(y), nthreads, x_flat)
        self._calls.store(x.shape, shape, run)
        return y
