"""Plain numpy implementations with the exact semantics of DESIGN.md section 4.

Every kernel and operator of qkernels equals these bit for bit (the fp32
sparse family: within 1e-5 relative).  They are slow and simple on purpose;
tests and users compare against them.
"""
import numpy as np

from . import _quant


def quantize(x, scale, zero_point, dtype, axis=None):
    """q = clamp(rint(x / scale) + zero_point), float64 arithmetic, half to even."""
    dt = np.dtype(dtype)
    info = np.iinfo(dt)
    x = np.asarray(x, dtype=np.float64)
    s = np.asarray(scale, dtype=np.float64)
    zp = np.asarray(zero_point, dtype=np.float64)
    if axis is not None and s.ndim == 1:
        shape = [1] * x.ndim
        shape[axis] = -1
        s = s.reshape(shape)
        zp = zp.reshape(shape) if zp.ndim == 1 else zp
    y = np.rint(x / s) + zp
    return np.clip(y, info.min, info.max).astype(dt)


def dequantize(q, scale, zero_point, axis=None):
    """x = float32(scale) * float32(q - zero_point), in float32."""
    q = np.asarray(q)
    s = np.asarray(scale, dtype=np.float32)
    zp = np.asarray(zero_point, dtype=np.int32)
    if axis is not None and s.ndim == 1:
        shape = [1] * q.ndim
        shape[axis] = -1
        s = s.reshape(shape)
        zp = zp.reshape(shape) if zp.ndim == 1 else zp
    return (s * (q.astype(np.int32) - zp).astype(np.float32)).astype(np.float32)


def srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul on int32 arrays (vectorized)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C division truncates toward zero.
    q = np.where(s >= 0, s // (1 << 31), -((-s) // (1 << 31)))
    q = np.where((a == -(1 << 31)) & (b == -(1 << 31)), (1 << 31) - 1, q)
    return q.astype(np.int64)


def rdbpot(x, e):
    """gemmlowp RoundingDivideByPOT: round(x / 2^e), ties away from zero; e in [0, 31]."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(e, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def requantize(acc, scale, zero_point, dtype, output_min=None, output_max=None, requantization="fp32"):
    """int32 accumulators -> int8/uint8.

    `scale` is the real (float64) multiplier input_scale*weight_scale/output_scale,
    a scalar or one per channel of the last axis.
    """
    dt = np.dtype(dtype)
    info = np.iinfo(dt)
    qmin = info.min if output_min is None else int(output_min)
    qmax = info.max if output_max is None else int(output_max)
    acc = np.asarray(acc, dtype=np.int32)
    mode = _quant.mode(requantization)
    if mode == "fp32":
        s = _quant.fp32_scales(scale)
        y = np.rint(acc.astype(np.float32) * s).astype(np.int64) + int(zero_point)
    else:
        mult, shift = _quant.gemmlowp_params(scale)
        y = rdbpot(srdhm(acc, mult), shift) + int(zero_point)
    return np.clip(y, qmin, qmax).astype(dt)


def sparse_conv1x1(x, weight, bias=None, output_min=-np.inf, output_max=np.inf):
    """Sparse 1x1 convolution on CHW input [Cin, H, W] or [N, Cin, H, W].

    float64 matmul of the dense weight [Cout, Cin] (an ndarray or anything
    with .toarray(), e.g. scipy.sparse), plus bias, clamped, cast to float32.
    """
    w = weight.toarray() if hasattr(weight, "toarray") else np.asarray(weight)
    w = w.astype(np.float64)
    x = np.asarray(x, dtype=np.float64)
    cin = x.shape[-3]
    hw = x.shape[-2] * x.shape[-1]
    y = np.matmul(w, x.reshape(x.shape[:-3] + (cin, hw)))
    if bias is not None:
        y = y + np.asarray(bias, dtype=np.float64)[:, None]
    y = np.clip(y, float(np.float32(output_min)), float(np.float32(output_max)))
    return y.reshape(x.shape[:-3] + (w.shape[0],) + x.shape[-2:]).astype(np.float32)
