"""qk.chw: fp32 operators that keep activations in CHW layout.

A sparse MobileNet runs its 1x1 layers as SpMM on CHW activations
(`qk.SparseConv1x1`); these are the other layers it needs so activations
never go back to NHWC in between (XNNPACK's CHW operator set):

    Conv2dHWC2CHW    the stem: 3x3 stride-2 pad-1 conv from an HWC image
                     with 3 channels ([H, W, 3] or [N, H, W, 3]) to CHW
    DepthwiseConv2d  depthwise 3x3 (pad 1) and 5x5 (pad 2), stride 1 or 2
    GlobalAvgPool    CHW -> one value per channel
    hwc_to_chw, chw_to_hwc   layout conversions, any channel count, batch

Operators validate and pack their weights once, are immutable, callable as
op(x, out=None, threads=None), safe to call from several threads at once
and picklable.  Arithmetic is float32: each output is bias + the taps in
row-major order, then clamped to [output_min, output_max]; every ISA variant
gives the same bits, within ~1e-6 relative of the float64 numpy twins in
`qkernels.reference` (depthwise_conv2d_chw, conv2d_hwc2chw,
global_avg_pool_chw, hwc_to_chw, chw_to_hwc).  `kernel=` on a call picks a
specific variant by name (tests use it; see qk.cpu_info()["kernels"]).
"""
import math
import numbers

import numpy as np

from . import _ext, _validate as V

__all__ = ["Conv2dHWC2CHW", "DepthwiseConv2d", "GlobalAvgPool", "hwc_to_chw", "chw_to_hwc"]

_F32 = np.dtype(np.float32)
# Transposes move 32-bit words: any 4-byte dtype works the same.
_X32 = [np.dtype(np.float32), np.dtype(np.int32), np.dtype(np.uint32)]


def _bound(name, value, default):
    if value is None:
        return default
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number or None, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    return v


def _clamp(output_min, output_max):
    lo = _bound("output_min", output_min, -math.inf)
    hi = _bound("output_max", output_max, math.inf)
    if lo > hi:
        raise ValueError(f"output_min ({lo}) must not exceed output_max ({hi})")
    return lo, hi


def _bias(bias, n):
    if bias is None:
        return np.zeros(n, _F32)
    b = V.array("bias", bias, _F32, 1, 1)
    if b.shape[0] != n:
        raise ValueError(f"bias must have shape ({n},) (one per output channel), got {b.shape}")
    return b


def _pair(name, value):
    """An int or a pair of ints (padding/stride style) -> tuple of 2 ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return (V.integer(name, value[0]), V.integer(name, value[1]))
    v = V.integer(name, value)
    return (v, v)


def _frozen(a):
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def _rebuild(cls, args, kwargs):
    return cls(*args, **kwargs)


class _Operator:
    """Immutable after __init__; pickles as its constructor arguments."""

    def _init(self, args, kwargs, **attrs):
        for k, v in attrs.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_args", args)
        object.__setattr__(self, "_kwargs", kwargs)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} objects are immutable")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} objects are immutable")

    def __reduce__(self):
        return _rebuild, (type(self), self._args, self._kwargs)

    def __repr__(self):
        kw = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"qk.chw.{type(self).__name__}({self._describe()}{', ' if kw else ''}{kw})"


def _image(name, x, channels_axis, channels, what):
    """Validate an unbatched (3-D) or batched (4-D) float32 image."""
    x = V.array(name, x, _F32, 3, 4, contiguous=False)  # callers copy it after the out= checks
    if channels is not None and x.shape[channels_axis] != channels:
        raise ValueError(f"{name} must have {channels} {what} (axis {channels_axis}), got shape {x.shape}")
    if 0 in x.shape[-3:]:
        raise ValueError(f"{name} must have non-zero channels, height and width, got shape {x.shape}")
    return x


class DepthwiseConv2d(_Operator):
    """fp32 depthwise convolution in CHW layout.

    weight [C, K, K] float32 with K = 3 (padding 1) or 5 (padding 2), stride
    1 or 2; bias [C] float32 or None; output clamped to [output_min,
    output_max] (None = unbounded; 0 and 6 fuse ReLU6).  Input [C, H, W] or
    [N, C, H, W] -> [(N,) C, OH, OW], OH = (H + 2*padding - K) // stride + 1.
    """

    def __init__(self, weight, bias=None, *, stride=1, padding=None, output_min=None, output_max=None):
        w = V.array("weight", weight, _F32, 3, 3, contiguous=False)
        c, kh, kw = w.shape
        if c < 1:
            raise ValueError(f"weight must have at least one channel, got shape {w.shape}")
        if kh != kw or kh not in (3, 5):
            raise ValueError(f"weight must have shape [C, 3, 3] or [C, 5, 5], got {w.shape}")
        s = _pair("stride", stride)
        if s[0] != s[1] or s[0] not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride!r}")
        p = (kh // 2, kh // 2) if padding is None else _pair("padding", padding)
        if p != (kh // 2, kh // 2):
            raise ValueError(f"padding must be {kh // 2} for a {kh}x{kh} kernel (the only one supported), got {padding!r}")
        V.nbytes("weight", "the packed weights", (c, 1 + kh * kw), 4)
        b = _bias(bias, c)
        lo, hi = _clamp(output_min, output_max)
        packed = np.empty((c, 1 + kh * kw), _F32)
        packed[:, 0] = b
        packed[:, 1:] = w.reshape(c, kh * kw)
        self._init((_frozen(w), None if bias is None else _frozen(b)),
                   dict(stride=s[0], padding=p[0], output_min=output_min, output_max=output_max),
                   channels=c, kernel_size=kh, stride=s[0], padding=p[0], output_min=lo, output_max=hi,
                   weight=_frozen(w), bias=_frozen(b), _packed=_frozen(packed))

    def _describe(self):
        return f"<{self.channels}x{self.kernel_size}x{self.kernel_size}>"

    def output_shape(self, input_shape):
        *lead, c, h, w = input_shape
        k, s, p = self.kernel_size, self.stride, self.padding
        return tuple(lead) + (c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)

    def __call__(self, x, out=None, threads=None, *, kernel=None):
        x = _image("x", x, -3, self.channels, "channels")
        nthreads = V.threads(threads)
        shape = self.output_shape(x.shape)
        y = V.out(out, shape, _F32, inputs=(x,))
        x = V.contiguous_array(x)
        n = x.shape[0] if x.ndim == 4 else 1
        _ext.chw_dwconv2d(x.reshape(-1), self._packed.reshape(-1), y.reshape(-1), n, self.channels,
                          x.shape[-2], x.shape[-1], self.kernel_size, self.stride, self.padding,
                          self.output_min, self.output_max, nthreads, kernel)
        return y


class Conv2dHWC2CHW(_Operator):
    """The stem: fp32 3x3 stride-2 pad-1 convolution from HWC (3 channels) to CHW.

    weight OHWI [Cout, 3, 3, 3] float32, bias [Cout] float32 or None, output
    clamped to [output_min, output_max].  Input [H, W, 3] or [N, H, W, 3] ->
    [(N,) Cout, OH, OW] with OH = (H - 1) // 2 + 1, OW = (W - 1) // 2 + 1.
    """

    def __init__(self, weight, bias=None, *, stride=2, padding=1, output_min=None, output_max=None):
        w = V.array("weight", weight, _F32, 4, 4, contiguous=False)
        if w.shape[1:] != (3, 3, 3) or w.shape[0] < 1:
            raise ValueError(f"weight must have shape [Cout, 3, 3, 3] (OHWI, 3 input channels), got {w.shape}")
        if _pair("stride", stride) != (2, 2):
            raise ValueError(f"stride must be 2 (the only one supported), got {stride!r}")
        if _pair("padding", padding) != (1, 1):
            raise ValueError(f"padding must be 1 (the only one supported), got {padding!r}")
        cout = w.shape[0]
        nb = int(_ext.CHW_HWC2CHW_COUT_BLOCK)
        blocks = -(-cout // nb)
        V.nbytes("weight", "the packed weights", (blocks * nb, 28), 4)
        b = _bias(bias, cout)
        lo, hi = _clamp(output_min, output_max)
        # [block][1 + 27 taps][nb lanes]: row 0 is the bias, row 1 + t the
        # tap t = (ky*3 + kx)*3 + ci of the block's output channels.
        packed = np.zeros((blocks * nb, 28), _F32)
        packed[:cout, 0] = b
        packed[:cout, 1:] = w.reshape(cout, 27)
        packed = packed.reshape(blocks, nb, 28).transpose(0, 2, 1)
        self._init((_frozen(w), None if bias is None else _frozen(b)),
                   dict(output_min=output_min, output_max=output_max),
                   output_channels=cout, output_min=lo, output_max=hi, weight=_frozen(w), bias=_frozen(b),
                   _packed=_frozen(np.ascontiguousarray(packed)))

    def _describe(self):
        return f"<{self.output_channels}x3x3x3>"

    def output_shape(self, input_shape):
        *lead, h, w, _ = input_shape
        return tuple(lead) + (self.output_channels, (h - 1) // 2 + 1, (w - 1) // 2 + 1)

    def __call__(self, x, out=None, threads=None, *, kernel=None):
        x = V.array("x", x, _F32, 3, 4, contiguous=False)  # copied after the result's size check
        if x.shape[-1] != 3:
            raise ValueError(f"x must be HWC with 3 channels (last axis), got shape {x.shape}")
        if 0 in x.shape[-3:]:
            raise ValueError(f"x must have non-zero height and width, got shape {x.shape}")
        nthreads = V.threads(threads)
        y = V.out(out, self.output_shape(x.shape), _F32, inputs=(x,))
        x = V.contiguous_array(x)
        n = x.shape[0] if x.ndim == 4 else 1
        _ext.chw_conv_hwc2chw(x.reshape(-1), self._packed.reshape(-1), y.reshape(-1), n, x.shape[-3],
                              x.shape[-2], self.output_channels, self.output_min, self.output_max, nthreads,
                              kernel)
        return y


class GlobalAvgPool(_Operator):
    """fp32 global average pooling of CHW: [C, H, W] -> [C], [N, C, H, W] -> [N, C].

    y = clamp(float32 sum of the plane * float32(1 / (H*W))).
    """

    def __init__(self, *, output_min=None, output_max=None):
        lo, hi = _clamp(output_min, output_max)
        self._init((), dict(output_min=output_min, output_max=output_max), output_min=lo, output_max=hi)

    def _describe(self):
        return ""

    def __call__(self, x, out=None, threads=None, *, kernel=None):
        x = _image("x", x, -3, None, "channels")
        nthreads = V.threads(threads)
        y = V.out(out, x.shape[:-2], _F32, inputs=(x,))
        x = V.contiguous_array(x)
        planes = int(np.prod(x.shape[:-2]))
        _ext.chw_gavgpool(x.reshape(-1), y.reshape(-1), planes, x.shape[-2] * x.shape[-1], self.output_min,
                          self.output_max, nthreads, kernel)
        return y


def _transpose(x, out, threads, kernel, to_chw):
    x = V.array("x", x, _X32, 3, 4, contiguous=False)  # copied after the out= checks
    nthreads = V.threads(threads)
    if to_chw:  # [.., H, W, C]: matrix [H*W, C] -> [C, H*W]
        h, w, c = x.shape[-3:]
        shape, rows, cols = x.shape[:-3] + (c, h, w), h * w, c
    else:  # [.., C, H, W]: matrix [C, H*W] -> [H*W, C]
        c, h, w = x.shape[-3:]
        shape, rows, cols = x.shape[:-3] + (h, w, c), c, h * w
    y = V.out(out, shape, x.dtype, inputs=(x,))
    x = V.contiguous_array(x)
    batch = x.shape[0] if x.ndim == 4 else 1
    _ext.chw_transpose(x.reshape(-1).view(np.uint32), y.reshape(-1).view(np.uint32), batch, rows, cols, nthreads,
                       kernel)
    return y


def hwc_to_chw(x, out=None, threads=None, *, kernel=None):
    """[H, W, C] -> [C, H, W] (or with a leading batch axis); float32, int32 or uint32."""
    return _transpose(x, out, threads, kernel, True)


def chw_to_hwc(x, out=None, threads=None, *, kernel=None):
    """[C, H, W] -> [H, W, C] (or with a leading batch axis); float32, int32 or uint32."""
    return _transpose(x, out, threads, kernel, False)
