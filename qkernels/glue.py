"""Glue operators of end-to-end networks: residual adds and global pooling.

    qk.Add            quantized elementwise add (int8/uint8), TFLite ADD bit for bit
    qk.GlobalAvgPool2d  quantized global average pooling, NHWC -> [N, C]
    qk.AddF32         float32 elementwise add with clamp (CHW residual blocks)

All three take same-shape inputs (no broadcasting: a residual add joins two
tensors of one shape), run C microkernels on the thread pool with the GIL
released, and are immutable, picklable and safe to call from several threads
at once.  qkernels.reference.add_quantized / global_avg_pool2d / add_f32 are
their numpy twins.
"""
import math
import numbers

import numpy as np

from . import _ext, _quant, _validate as V
from . import reference as _ref

MAX_POOL_ROWS = int(_ext.GAVGPOOL_MAX_ROWS)


def _prefix(dt):
    return "qs8" if dt == np.int8 else "qu8"


def _same_shape(a, b):
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape (broadcasting is not supported), "
                         f"got {a.shape} and {b.shape}")


class Add:
    """Quantized elementwise add: y = clamp(a*s1 + b*s2 in output quantization), TFLite ADD semantics.

    Add(input1_scale, input1_zero_point, input2_scale, input2_zero_point,
        output_scale, output_zero_point, dtype="int8", output_min=None, output_max=None)
    op(a, b, out=None, threads=None): a and b of `dtype` and one shape -> same shape.

    The fixed-point arithmetic is TFLite's (inputs shifted left by 20, three
    QuantizeMultiplier multipliers, gemmlowp rounding): see
    qkernels.reference.add_quantized.  output_min/output_max (quantized units,
    default the dtype's range) fuse ReLU/ReLU6.  Scales are used in float64
    as given; float32 scales, as a .tflite file stores them, reproduce TFLite
    exactly.  2*max(input1_scale, input2_scale) / (2^20 * output_scale) must be
    below 1.
    """

    def __init__(self, input1_scale, input1_zero_point, input2_scale, input2_zero_point, output_scale,
                 output_zero_point, dtype="int8", output_min=None, output_max=None):
        dt = V.qdtype("dtype", dtype)
        s1 = V.scale("input1_scale", input1_scale)
        zp1 = V.zero_point("input1_zero_point", input1_zero_point, dt)
        s2 = V.scale("input2_scale", input2_scale)
        zp2 = V.zero_point("input2_zero_point", input2_zero_point, dt)
        so = V.scale("output_scale", output_scale)
        zpo = V.zero_point("output_zero_point", output_zero_point, dt)
        qmin, qmax = V.clamp(output_min, output_max, dt)
        (m1, e1), (m2, e2), (mo, eo) = _ref.add_params(s1, s2, so)
        d = self.__dict__
        d["_args"] = (s1, zp1, s2, zp2, so, zpo, dt.name, qmin, qmax)
        d["dtype"] = dt
        d["_family"] = _prefix(dt) + "_vadd"
        d["_params"] = (zp1, int(m1), int(e1), zp2, int(m2), int(e2), int(mo), int(eo), zpo, qmin, qmax)
        d["_calls"] = V.CallCache(dt)  # repeat calls of a shape already run

    def __setattr__(self, name, value):
        raise AttributeError("Add is immutable")

    def __delattr__(self, name):
        raise AttributeError("Add is immutable")

    def __reduce__(self):
        return (Add, self._args)

    def __repr__(self):
        s1, zp1, s2, zp2, so, zpo, dt, qmin, qmax = self._args
        return (f"Add(input1_scale={s1!r}, input1_zero_point={zp1}, input2_scale={s2!r}, "
                f"input2_zero_point={zp2}, output_scale={so!r}, output_zero_point={zpo}, dtype={dt!r}, "
                f"output_min={qmin}, output_max={qmax})")

    @property
    def kernel(self):
        """The microkernel calls use on this machine."""
        return _ext.selected(self._family)

    def __call__(self, a, b, out=None, threads=None):
        y = self._calls.call(a, out, threads, b)  # a shape already run (qkernels._validate.CallCache)
        return self._run(a, b, out, threads, None) if y is None else y

    def _run(self, a, b, out, threads, kernel):
        a = V.array("a", a, self.dtype, contiguous=False)  # copied after the out= checks
        b = V.array("b", b, self.dtype, contiguous=False)
        _same_shape(a, b)
        nthreads = V.threads(threads)
        result = V.out(out, a.shape, self.dtype, inputs=(a, b))
        a, b = V.contiguous_array(a), V.contiguous_array(b)
        vadd, family, params = _ext.vadd, self._family, self._params

        def run(y, nthreads, a, b):  # for V.CallCache: references no self
            vadd(family, a, b, y, *params, nthreads, kernel)
        run(V.flat_bytes(result), nthreads, V.flat_bytes(a), V.flat_bytes(b))
        if kernel is None:
            self._calls.store(a.shape, a.shape, run)
        return result


class GlobalAvgPool2d:
    """Quantized global average pooling: NHWC [N, H, W, C] -> [N, C] ([H, W, C] -> [C]).

    GlobalAvgPool2d(input_scale, input_zero_point, output_scale, output_zero_point,
                    dtype="int8", output_min=None, output_max=None, requantization="fp32")
    op(x, out=None, threads=None)

    acc = sum over H*W of x - H*W*input_zero_point, exact in int32 (H*W up to
    2^23), requantized with the real multiplier input_scale / (output_scale*H*W)
    in "fp32" (float32 multiply, round half to even) or "gemmlowp" (TFLite
    fixed point) mode, as DESIGN.md section 4 defines them; the multiplier must
    be below 256 (fp32) or 1 (gemmlowp) for the spatial size of each call.
    """

    def __init__(self, input_scale, input_zero_point, output_scale, output_zero_point, dtype="int8",
                 output_min=None, output_max=None, requantization="fp32"):
        dt = V.qdtype("dtype", dtype)
        si = V.scale("input_scale", input_scale)
        zpi = V.zero_point("input_zero_point", input_zero_point, dt)
        so = V.scale("output_scale", output_scale)
        zpo = V.zero_point("output_zero_point", output_zero_point, dt)
        qmin, qmax = V.clamp(output_min, output_max, dt)
        mode = _quant.mode(requantization)
        d = self.__dict__
        d["_args"] = (si, zpi, so, zpo, dt.name, qmin, qmax, mode)
        d["dtype"] = dt
        d["requantization"] = mode
        d["_family"] = _prefix(dt) + "_gavgpool"
        d["_calls"] = V.CallCache(dt)  # repeat calls of a shape already run

    def __setattr__(self, name, value):
        raise AttributeError("GlobalAvgPool2d is immutable")

    def __delattr__(self, name):
        raise AttributeError("GlobalAvgPool2d is immutable")

    def __reduce__(self):
        return (GlobalAvgPool2d, self._args)

    def __repr__(self):
        si, zpi, so, zpo, dt, qmin, qmax, mode = self._args
        return (f"GlobalAvgPool2d(input_scale={si!r}, input_zero_point={zpi}, output_scale={so!r}, "
                f"output_zero_point={zpo}, dtype={dt!r}, output_min={qmin}, output_max={qmax}, "
                f"requantization={mode!r})")

    @property
    def kernel(self):
        """The microkernel calls use on this machine."""
        return _ext.selected(self._family)

    def _requant(self, rows, shape):
        """(scale, multiplier, shift) for H*W = rows, or ValueError naming x."""
        si, _, so, _, _, _, _, mode = self._args
        real = _ref.global_avg_pool2d_scale(si, so, rows)
        if mode == "fp32":
            s = np.float32(real)
            if not (0 < s < 256):
                raise ValueError(f"x of shape {shape}: input_scale / (output_scale * H*W) = {real!r} must lie "
                                 f"in (0, 256) after rounding to float32 for fp32 requantization")
            return float(s), 0, 0
        if not real < 1:
            raise ValueError(f"x of shape {shape}: input_scale / (output_scale * H*W) = {real!r} must be below 1 "
                             f"for gemmlowp requantization")
        try:
            m, e = _quant.quantize_multiplier(real)
        except ValueError:  # rounds up to 1 in Q31
            raise ValueError(f"x of shape {shape}: input_scale / (output_scale * H*W) = {real!r} must be below 1 "
                             f"for gemmlowp requantization") from None
        return 0.0, m, e

    def __call__(self, x, out=None, threads=None):
        y = self._calls.call(x, out, threads)  # a shape already run (qkernels._validate.CallCache)
        return self._run(x, out, threads, None) if y is None else y

    def _run(self, x, out, threads, kernel):
        x = V.array("x", x, self.dtype, 3, 4, contiguous=False)  # copied after the checks below
        squeeze = x.ndim == 3
        xb = x[None] if squeeze else x
        n, h, w, c = xb.shape
        rows = h * w
        if rows == 0:
            raise ValueError(f"x must have a non-empty spatial size (H, W), got shape {x.shape}")
        if rows > MAX_POOL_ROWS:
            raise ValueError(f"x has H*W = {rows} pixels; at most {MAX_POOL_ROWS} keep the int32 sum exact")
        scale, mult, shift = self._requant(rows, x.shape)
        nthreads = V.threads(threads)
        result = V.out(out, (c,) if squeeze else (n, c), self.dtype, inputs=(x,))
        xb = V.contiguous_array(xb)
        _, zpi, _, zpo, _, qmin, qmax, mode = self._args
        gavgpool, family = _ext.gavgpool, self._family

        def run(y, nthreads, x):  # for V.CallCache: references no self
            gavgpool(family, x, y, n, rows, c, mode, zpi, scale, mult, shift, zpo, qmin, qmax, nthreads, kernel)
        run(V.flat_bytes(result), nthreads, V.flat_bytes(xb))
        if kernel is None:
            self._calls.store(x.shape, result.shape, run)
        return result


def _bound(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf, still a valid bound
        return float(np.float32(v))


class AddF32:
    """float32 elementwise add with clamp: y = min(max(a + b, output_min), output_max).

    AddF32(output_min=-inf, output_max=inf); op(a, b, out=None, threads=None)
    on same-shape float32 arrays (any layout; CHW residual blocks are the use).
    The bounds are rounded to float32 (beyond its range: +-inf); NaN inputs propagate.  Every variant
    returns the bits of qkernels.reference.add_f32, except that armv7 NEON
    flushes subnormal values to zero (a property of that hardware).
    """

    def __init__(self, output_min=-math.inf, output_max=math.inf):
        lo = _bound("output_min", output_min)
        hi = _bound("output_max", output_max)
        if lo > hi:
            raise ValueError(f"output_min ({lo}) must not exceed output_max ({hi})")
        self.__dict__["output_min"] = lo
        self.__dict__["output_max"] = hi

    def __setattr__(self, name, value):
        raise AttributeError("AddF32 is immutable")

    def __delattr__(self, name):
        raise AttributeError("AddF32 is immutable")

    def __reduce__(self):
        return (AddF32, (self.output_min, self.output_max))

    def __repr__(self):
        return f"AddF32(output_min={self.output_min!r}, output_max={self.output_max!r})"

    @property
    def kernel(self):
        """The microkernel calls use on this machine."""
        return _ext.selected("f32_vadd")

    def __call__(self, a, b, out=None, threads=None):
        return self._run(a, b, out, threads, None)

    def _run(self, a, b, out, threads, kernel):
        a = V.array("a", a, np.float32, contiguous=False)  # copied after the out= checks
        b = V.array("b", b, np.float32, contiguous=False)
        _same_shape(a, b)
        nthreads = V.threads(threads)
        result = V.out(out, a.shape, np.dtype(np.float32), inputs=(a, b))
        a, b = V.contiguous_array(a), V.contiguous_array(b)
        _ext.f32_vadd(a.reshape(-1), b.reshape(-1), result.reshape(-1), self.output_min, self.output_max,
                      nthreads, kernel)
        return result
