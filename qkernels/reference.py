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


def real_scale(input_scale, weight_scale, output_scale):
    """The real requantization multiplier(s), in float64: input_scale * weight_scale / output_scale."""
    return np.float64(input_scale) * np.asarray(weight_scale, dtype=np.float64) / np.float64(output_scale)


def _wrap_int32(acc):
    """int64 -> int32 modulo 2^32: the kernels' int32 accumulation wraps the same way."""
    return ((np.asarray(acc, dtype=np.int64) + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def _gemm_epilogue(acc, bias, n, input_scale, weight_scale, output_scale, output_zero_point, dtype,
                   output_min, output_max, requantization):
    if bias is not None:
        acc = acc + np.asarray(bias, dtype=np.int64)
    scale = np.broadcast_to(real_scale(input_scale, weight_scale, output_scale), (n,))
    return requantize(_wrap_int32(acc), scale, output_zero_point, dtype, output_min, output_max, requantization)


def linear(x, weight, bias=None, *, input_scale, input_zero_point, weight_scale, weight_zero_point=0,
           output_scale, output_zero_point, output_min=None, output_max=None, requantization="fp32"):
    """Quantized fully-connected layer: x [..., K], weight [N, K] -> [..., N].

    acc = bias + sum_k (x - input_zero_point) * (weight - weight_zero_point), exact
    in int64 and then taken modulo 2^32 like the kernels' int32 arithmetic,
    then requantized per output channel (weight_scale scalar or [N]).
    """
    w = np.asarray(weight)
    x = np.asarray(x)
    acc = (x.astype(np.int64) - int(input_zero_point)) @ (w.astype(np.int64) - int(weight_zero_point)).T
    return _gemm_epilogue(acc, bias, w.shape[0], input_scale, weight_scale, output_scale, output_zero_point,
                          w.dtype, output_min, output_max, requantization)


def conv2d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1, input_scale, input_zero_point,
           weight_scale, weight_zero_point=0, output_scale, output_zero_point, output_min=None, output_max=None,
           requantization="fp32"):
    """Quantized 2-D convolution: x NHWC [N, H, W, Cin] or [H, W, Cin], weight OHWI
    [Cout, KH, KW, Cin / groups] -> NHWC.  Padding is with input_zero_point (a real
    zero); stride/padding/dilation as for qk.Conv2d ("same" pads like TensorFlow).
    Accumulation and requantization as in `linear`."""
    from . import _conv

    w = np.asarray(weight)
    x = np.asarray(x)
    batched = x.ndim == 4
    if not batched:
        x = x[None]
    stride = _conv.pair("stride", stride)
    dilation = _conv.pair("dilation", dilation)
    cout, kh, kw, cin_g = w.shape
    n, h, wd, cin = x.shape
    pads = _conv.resolve(_conv.padding(padding), h, wd, kh, kw, stride, dilation)
    oh, ow = _conv.output_size(h, wd, kh, kw, stride, dilation, pads)
    pt, pb, pl, pr = pads
    # x - zp is 0 in the padding
    xp = np.pad(x.astype(np.int64) - int(input_zero_point), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    wz = w.astype(np.int64) - int(weight_zero_point)
    cout_g = cout // groups
    acc = np.zeros((n, oh, ow, cout), dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * dilation[0], j * dilation[1]
            patch = xp[:, y0:y0 + (oh - 1) * stride[0] + 1:stride[0], x0:x0 + (ow - 1) * stride[1] + 1:stride[1], :]
            for g in range(groups):
                acc[..., g * cout_g:(g + 1) * cout_g] += np.tensordot(
                    patch[..., g * cin_g:(g + 1) * cin_g], wz[g * cout_g:(g + 1) * cout_g, i, j, :], axes=([3], [1]))
    y = _gemm_epilogue(acc, bias, cout, input_scale, weight_scale, output_scale, output_zero_point, w.dtype,
                       output_min, output_max, requantization)
    return y if batched else y[0]


# fp32 CHW operators (qkernels.chw)
from ._chw_reference import (chw_to_hwc, conv2d_hwc2chw, conv2d_nhwc, depthwise_conv2d_chw,  # noqa: E402,F401
                             depthwise_conv2d_nhwc, global_avg_pool_chw, hwc_to_chw)
# ---------------------------------------------------------------- glue operators
ADD_LEFT_SHIFT = 20


def add_params(input1_scale, input2_scale, output_scale):
    """Multipliers of the quantized add, as TFLite's ADD Prepare derives them (8-bit path).

    twice_max = 2 * max(s1, s2); real multipliers s1 / twice_max, s2 / twice_max
    and twice_max / (2^20 * s_out), each through QuantizeMultiplier (all below
    1: right shifts only).  Returns ((m1, shift1), (m2, shift2), (m_out, shift_out)).
    Scales are used as given, in float64; TFLite stores them as float32, so
    float32-representable scales (those of a .tflite model) reproduce it exactly.
    """
    s1, s2, so = float(input1_scale), float(input2_scale), float(output_scale)
    twice_max = 2.0 * max(s1, s2)
    real_out = twice_max / ((1 << ADD_LEFT_SHIFT) * so)
    p1 = _quant.quantize_multiplier(s1 / twice_max)
    p2 = _quant.quantize_multiplier(s2 / twice_max)
    try:
        po = _quant.quantize_multiplier(real_out)
    except ValueError:
        raise ValueError(
            f"output_scale {so!r} is too small for input scales {s1!r} and {s2!r}: the add needs "
            f"2*max(input1_scale, input2_scale) / (2^{ADD_LEFT_SHIFT} * output_scale) = {real_out!r} below 1"
        ) from None
    return p1, p2, po


def add_quantized(a, b, input1_scale, input1_zero_point, input2_scale, input2_zero_point, output_scale,
                  output_zero_point, output_min=None, output_max=None):
    """Quantized elementwise add of same-shape int8/uint8 arrays, TFLite ADD bit for bit.

    Per element (tensorflow/lite/kernels/internal/reference/integer_ops/add.h AddFunc):
      shifted_i = (x_i - zp_i) * 2^20
      scaled_i  = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted_i, m_i), shift_i)
      y = clamp(RoundingDivideByPOT(SRDHM(scaled_1 + scaled_2, m_out), shift_out) + zp_out)
    with the multipliers of add_params().  The dtype is a's.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    dt = a.dtype
    info = np.iinfo(dt)
    qmin = info.min if output_min is None else int(output_min)
    qmax = info.max if output_max is None else int(output_max)
    (m1, e1), (m2, e2), (mo, eo) = add_params(input1_scale, input2_scale, output_scale)

    def scaled(x, zp, m, e):
        return rdbpot(srdhm((x.astype(np.int64) - int(zp)) * (1 << ADD_LEFT_SHIFT), m), e)

    raw = scaled(a, input1_zero_point, m1, e1) + scaled(b, input2_zero_point, m2, e2)
    y = rdbpot(srdhm(raw, mo), eo) + int(output_zero_point)
    return np.clip(y, qmin, qmax).astype(dt)


def global_avg_pool2d_scale(input_scale, output_scale, rows):
    """The real (float64) requantization multiplier of a global average over `rows` = H*W pixels."""
    return float(input_scale) / (float(output_scale) * int(rows))


def global_avg_pool2d(x, input_scale, input_zero_point, output_scale, output_zero_point, output_min=None,
                      output_max=None, requantization="fp32"):
    """Quantized global average pooling, NHWC [N, H, W, C] -> [N, C] ([H, W, C] -> [C]).

    acc[n, c] = sum_{h,w} x[n, h, w, c] - H*W*input_zero_point, exact in int32,
    then requantize(acc, input_scale / (output_scale * H*W), ...) in the chosen
    mode (DESIGN.md section 4).  The dtype is x's.
    """
    x = np.asarray(x)
    squeeze = x.ndim == 3
    xb = x[None] if squeeze else x
    _, h, w, _ = xb.shape
    acc = xb.astype(np.int64).sum(axis=(1, 2)) - h * w * int(input_zero_point)
    real = global_avg_pool2d_scale(input_scale, output_scale, h * w)
    y = requantize(acc.astype(np.int32), real, output_zero_point, x.dtype, output_min, output_max, requantization)
    return y[0] if squeeze else y


def add_f32(a, b, output_min=-np.inf, output_max=np.inf):
    """float32 elementwise add with clamp: y = a + b (float32), then
    y = min if min > y else y; y = max if max < y else y (NaN propagates,
    a -0.0 sum stays -0.0 under a 0.0 bound), bounds rounded to float32."""
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE results (inf, NaN) are the point, not errors
        y = np.asarray(a, dtype=np.float32) + np.asarray(b, dtype=np.float32)
        lo, hi = np.float32(output_min), np.float32(output_max)  # beyond float32's range: +-inf
    y = np.where(lo > y, lo, y)
    y = np.where(hi < y, hi, y)
    return np.asarray(y, dtype=np.float32)
def depthwise_conv2d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, input_scale, input_zero_point,
                     weight_scale, weight_zero_point=0, output_scale, output_zero_point, output_min=None,
                     output_max=None, requantization="fp32"):
    """Depthwise 2-D convolution, NHWC ([N,H,W,C] or [H,W,C]), weight [KH,KW,C], depth multiplier 1.

    acc[n,oy,ox,c] = bias[c] + sum_{ky,kx} (x[n, oy*sh + ky*dh - pt, ox*sw + kx*dw - pl, c] - input_zp)
                                          * (weight[ky,kx,c] - weight_zp)
    with padded positions equal to input_zp (contributing 0), summed exactly
    in int64 and taken modulo 2^32 as int32 (the kernels' int32 arithmetic),
    then requantize() with the real multiplier input_scale*weight_scale[c]/output_scale.
    `padding` is an int, a pair (pad_h, pad_w), "valid" or "same" (TensorFlow's
    rule: output = ceil(input / stride), the odd pad pixel at the bottom/right),
    the geometry of conv2d.
    """
    from .depthwise import conv_output_geometry

    x = np.asarray(x)
    weight = np.asarray(weight)
    squeeze = x.ndim == 3
    if squeeze:
        x = x[None]
    n, h, w, c = x.shape
    kh, kw, _ = weight.shape
    (oh, ow), (pt, pb, pl, pr), (sh, sw), (dh, dw) = conv_output_geometry(h, w, kh, kw, stride, padding, dilation)
    xp = np.full((n, h + pt + pb, w + pl + pr, c), input_zero_point, dtype=np.int64)
    xp[:, pt:pt + h, pl:pl + w, :] = x
    xp -= int(input_zero_point)
    wq = weight.astype(np.int64) - int(weight_zero_point)
    acc = np.zeros((n, oh, ow, c), dtype=np.int64)
    if bias is not None:
        acc += np.asarray(bias, dtype=np.int64)
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            patch = xp[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw, :]
            acc += patch * wq[ky, kx]
    acc = ((acc + 2**31) % 2**32 - 2**31).astype(np.int32)
    real = float(input_scale) * np.asarray(weight_scale, dtype=np.float64) / float(output_scale)
    y = requantize(acc, real, output_zero_point, x.dtype, output_min, output_max, requantization)
    return y[0] if squeeze else y


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


# ---------------------------------------------------------------- whole networks (qkernels.models)
def _model_twins():
    def drop(spec, *keys):
        return {k: v for k, v in spec.items() if k not in keys}

    return {
        "conv2d": lambda x, s: conv2d(x, **drop(s, "kernel")),
        "depthwise_conv2d": lambda x, s: depthwise_conv2d(x, **s),
        "linear": lambda x, s: linear(x, **drop(s, "kernel")),
        "add": lambda a, b, s: add_quantized(a, b, **drop(s, "dtype")),
        "global_avg_pool2d": lambda x, s: global_avg_pool2d(x, **drop(s, "dtype")),
        "chw_conv2d_hwc2chw": lambda x, s: conv2d_hwc2chw(x, **drop(s, "stride", "padding")),
        "chw_depthwise_conv2d": lambda x, s: depthwise_conv2d_chw(x, **s),
        "sparse_conv1x1": lambda x, s: sparse_conv1x1(x, **drop(s, "mode")),
        "add_f32": lambda a, b, s: add_f32(a, b, **s),
        "chw_global_avg_pool": lambda x, s: global_avg_pool_chw(x, **s),
        "to_image": lambda x, s: np.asarray(x).reshape(np.shape(x) + (1, 1)),
        "from_image": lambda x, s: np.asarray(x).reshape(np.shape(x)[:-2]),
    }


def run_model(net, x, return_all=False):
    """Run a qkernels.models.Network layer by layer through the numpy twins above.

    Each layer's twin gets the layer's spec (the operator's constructor
    arguments) and the twins' outputs of its input layers, so for the int8
    networks the result equals net(x) bit for bit; for the fp32 networks each
    layer is computed in float64 and rounded to float32.  return_all=True
    returns {layer name: output} (plus "input") instead of the last output.
    """
    twins = _model_twins()
    env = {"input": np.asarray(x)}
    y = env["input"]
    for layer in net.layers:
        y = twins[layer.kind](*[env[s] for s in layer.inputs], layer.spec)
        env[layer.name] = y
    return env if return_all else y
