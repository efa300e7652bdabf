"""numpy twins of the fp32 CHW operators (qkernels.chw), re-exported by
qkernels.reference.  float64 math, one rounding to float32 at the end.

The convolutions are computed in NHWC (the natural layout for a sliding
window in numpy) and transposed at the boundaries, so they double as the
"NHWC reference after transposition" the CHW kernels are checked against.
"""
import numpy as np


def _clamp(y, output_min, output_max):
    lo = -np.inf if output_min is None else float(output_min)
    hi = np.inf if output_max is None else float(output_max)
    return np.minimum(np.maximum(y, lo), hi)


def hwc_to_chw(x):
    """[..., H, W, C] -> [..., C, H, W]."""
    x = np.asarray(x)
    return np.ascontiguousarray(np.moveaxis(x, -1, -3))


def chw_to_hwc(x):
    """[..., C, H, W] -> [..., H, W, C]."""
    x = np.asarray(x)
    return np.ascontiguousarray(np.moveaxis(x, -3, -1))


def _windows(x_nhwc, kh, kw, stride, padding):
    """Zero-padded input and the output size of a KHxKW window sliding over NHWC."""
    n, h, w, c = x_nhwc.shape
    xp = np.zeros((n, h + 2 * padding, w + 2 * padding, c), np.float64)
    xp[:, padding:padding + h, padding:padding + w, :] = x_nhwc
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
    return xp, oh, ow


def depthwise_conv2d_nhwc(x, weight, bias=None, stride=1, padding=None):
    """float64 depthwise conv: x [N, H, W, C], weight [C, KH, KW] -> [N, OH, OW, C] (unclamped)."""
    x = np.asarray(x, np.float64)
    w = np.asarray(weight, np.float64)
    c, kh, kw = w.shape
    padding = kh // 2 if padding is None else int(padding)
    xp, oh, ow = _windows(x, kh, kw, stride, padding)
    y = np.zeros((x.shape[0], oh, ow, c), np.float64)
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, ky:ky + stride * (oh - 1) + 1:stride, kx:kx + stride * (ow - 1) + 1:stride, :]
            y += patch * w[:, ky, kx]
    if bias is not None:
        y += np.asarray(bias, np.float64)
    return y


def depthwise_conv2d_chw(x, weight, bias=None, stride=1, padding=None, output_min=None, output_max=None):
    """Depthwise conv in CHW: x [C, H, W] or [N, C, H, W], weight [C, KH, KW] -> float32 CHW."""
    x = np.asarray(x)
    batched = x.ndim == 4
    xb = x if batched else x[None]
    y = depthwise_conv2d_nhwc(chw_to_hwc(xb), weight, bias, stride, padding)
    y = hwc_to_chw(_clamp(y, output_min, output_max)).astype(np.float32)
    return y if batched else y[0]


def conv2d_nhwc(x, weight, bias=None, stride=1, padding=0):
    """float64 dense conv: x [N, H, W, Cin], weight OHWI [Cout, KH, KW, Cin] -> [N, OH, OW, Cout] (unclamped)."""
    x = np.asarray(x, np.float64)
    w = np.asarray(weight, np.float64)
    cout, kh, kw, cin = w.shape
    xp, oh, ow = _windows(x, kh, kw, stride, padding)
    y = np.zeros((x.shape[0], oh, ow, cout), np.float64)
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, ky:ky + stride * (oh - 1) + 1:stride, kx:kx + stride * (ow - 1) + 1:stride, :]
            y += patch @ w[:, ky, kx, :].T
    if bias is not None:
        y += np.asarray(bias, np.float64)
    return y


def conv2d_hwc2chw(x, weight, bias=None, output_min=None, output_max=None):
    """The stem: 3x3 stride-2 pad-1 conv of HWC [H, W, 3] or [N, H, W, 3] -> float32 CHW [(N,) Cout, OH, OW]."""
    x = np.asarray(x)
    batched = x.ndim == 4
    xb = x if batched else x[None]
    y = conv2d_nhwc(xb, weight, bias, stride=2, padding=1)
    y = hwc_to_chw(_clamp(y, output_min, output_max)).astype(np.float32)
    return y if batched else y[0]


def global_avg_pool_chw(x, output_min=None, output_max=None):
    """Mean over H and W of CHW [C, H, W] or [N, C, H, W] -> float32 [C] or [N, C]."""
    x = np.asarray(x, np.float64)
    return _clamp(x.mean(axis=(-2, -1)), output_min, output_max).astype(np.float32)
