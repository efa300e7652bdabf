"""quantize / dequantize / requantize: the public quantization helpers."""
import numpy as np

from . import _ext, _quant, _validate as V
from . import reference as _ref

_FLOATS = (np.float16, np.float32, np.float64)


def _per_channel(name, value, x, axis, check):
    """Validate a scalar or per-channel (along `axis`) parameter."""
    if axis is None:
        return check(value)
    ax = V.integer("axis", axis, -x.ndim, x.ndim - 1) if x.ndim else None
    if ax is None:
        raise ValueError("axis needs an input with at least one dimension")
    arr = np.atleast_1d(np.asarray(value))
    if arr.ndim != 1 or arr.shape[0] not in (1, x.shape[ax]):
        raise ValueError(f"{name} must be a scalar or have {x.shape[ax]} entries (x.shape[{ax}]), got shape {arr.shape}")
    return np.array([check(v) for v in arr])


def quantize(x, scale, zero_point, dtype, axis=None):
    """float -> int8/uint8: clamp(rint(x / scale) + zero_point), float64 math, half to even.

    `scale`/`zero_point` are scalars, or 1-D with one entry per index of `axis`.
    NaN inputs are rejected (there is no quantized NaN); +-inf saturate.
    """
    dt = V.qdtype("dtype", dtype)
    x = V.array("x", x, _FLOATS, contiguous=False)  # the reference converts it to float64 anyway
    V.nbytes("x", "the float64 temporaries of quantize", x.shape, 8)
    s = _per_channel("scale", scale, x, axis, lambda v: V.scale("scale", v.item() if hasattr(v, "item") else v))
    zp = _per_channel("zero_point", zero_point, x, axis,
                      lambda v: V.zero_point("zero_point", v.item() if hasattr(v, "item") else v, dt))
    if np.isnan(x).any():
        raise ValueError("x contains NaN, which has no quantized value")
    with np.errstate(over="ignore"):
        return _ref.quantize(x, s, zp, dt, axis=None if axis is None else int(axis))


def dequantize(q, scale, zero_point, axis=None):
    """int8/uint8 -> float32: float32(scale) * float32(q - zero_point)."""
    q = V.array("q", q, [np.int8, np.uint8], contiguous=False)  # the reference converts it anyway
    V.nbytes("q", "the float32 result", q.shape, 4)
    s = _per_channel("scale", scale, q, axis, lambda v: V.scale("scale", v.item() if hasattr(v, "item") else v))
    zp = _per_channel("zero_point", zero_point, q, axis,
                      lambda v: V.zero_point("zero_point", v.item() if hasattr(v, "item") else v, q.dtype))
    return _ref.dequantize(q, s, zp, axis=None if axis is None else int(axis))


def requantize(acc, scale, zero_point, dtype, *, output_min=None, output_max=None, requantization="fp32",
               out=None, threads=None, kernel=None):
    """int32 accumulators -> int8/uint8 through the C requantization kernels.

    `scale` is the real multiplier (input_scale * weight_scale / output_scale),
    per tensor.  Semantics are DESIGN.md section 4; `qkernels.reference.requantize`
    is the numpy twin.  `kernel` picks a specific variant (tests use it).
    """
    acc = V.array("acc", acc, np.int32, contiguous=False)  # copied after the result's size check
    dt = V.qdtype("dtype", dtype)
    s = V.scale("scale", scale)
    zp = V.zero_point("zero_point", zero_point, dt)
    qmin, qmax = V.clamp(output_min, output_max, dt)
    mode = _quant.mode(requantization)
    nthreads = V.threads(threads)
    result = V.out(out, acc.shape, dt, inputs=(acc,))
    acc = V.contiguous_array(acc)
    prefix = "qs8" if dt == np.int8 else "qu8"
    flat_in = acc.reshape(-1)
    flat_out = result.reshape(-1).view(np.uint8)
    if mode == "fp32":
        fs = float(_quant.fp32_scales(s))
        _ext.requant_fp32(prefix + "_requant_fp32", flat_in, flat_out, fs, zp, qmin, qmax, nthreads, kernel)
    else:
        mult, shift = _quant.gemmlowp_params(s)
        _ext.requant_gemmlowp(prefix + "_requant_gemmlowp", flat_in, flat_out, int(mult), int(shift), zp,
                              qmin, qmax, nthreads, kernel)
    return result
