"""Test doubles of the operators of DESIGN.md section 3, on numpy, for tests only.

tests/test_bench.py installs them on the qkernels module (monkeypatch) so the
benchmark's per-family paths run before (or without) the real operators.
They follow the documented constructor and call signatures and the exact
fp32 requantization semantics (qkernels.reference.requantize), so the peers'
outputs check against them like against the real thing.
"""
import numpy as np

from qkernels import reference as ref

CALLS = []  # (class name, threads) of every call, so tests can see what ran


class _Quantized:
    def __init__(self, weight, bias=None, *, input_scale, input_zero_point, weight_scale, weight_zero_point=0,
                 output_scale, output_zero_point, output_min=None, output_max=None, requantization="fp32",
                 stride=1, padding=0, dilation=1):
        self.w = np.asarray(weight)
        self.dt = self.w.dtype
        self.bias = np.zeros(self._channels(), np.int32) if bias is None else np.asarray(bias, np.int32)
        self.zx, self.zw, self.zy = int(input_zero_point), int(weight_zero_point), int(output_zero_point)
        self.scale = input_scale * np.asarray(weight_scale, np.float64) / output_scale
        if self.scale.ndim == 0:
            self.scale = float(self.scale)
        info = np.iinfo(self.dt)
        self.lo = info.min if output_min is None else output_min
        self.hi = info.max if output_max is None else output_max
        self.stride, self.pad = stride, padding

    def _requant(self, acc):
        return ref.requantize(acc.astype(np.int32), self.scale, self.zy, self.dt, self.lo, self.hi)

    def _patches(self, x, kh, kw):
        """[N, OH, OW, KH, KW, C] windows of the zero-point-padded NHWC input."""
        p, s = self.pad, self.stride
        xp = np.pad(x.astype(np.int32) - self.zx, ((0, 0), (p, p), (p, p), (0, 0)))
        oh = (xp.shape[1] - kh) // s + 1
        ow = (xp.shape[2] - kw) // s + 1
        win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))  # N, H', W', C, KH, KW
        return win[:, ::s, ::s][:, :oh, :ow].transpose(0, 1, 2, 4, 5, 3)

    def __call__(self, x, out=None, threads=None):
        if x.dtype != self.dt:
            raise TypeError(f"x must have dtype {self.dt}, got {x.dtype}")
        CALLS.append((type(self).__name__, threads))
        return self._run(x)


class Linear(_Quantized):
    def _channels(self):
        return self.w.shape[0]

    def _run(self, x):
        acc = (x.astype(np.int64) - self.zx) @ (self.w.astype(np.int64) - self.zw).T + self.bias
        return self._requant(acc)


class Conv2d(_Quantized):
    def _channels(self):
        return self.w.shape[0]

    def _run(self, x):
        co, kh, kw, ci = self.w.shape
        win = self._patches(x, kh, kw)
        acc = np.einsum("nhwijc,oijc->nhwo", win.astype(np.int64), self.w.astype(np.int64) - self.zw) + self.bias
        return self._requant(acc)


class DepthwiseConv2d(_Quantized):
    def _channels(self):
        return self.w.shape[2]

    def _run(self, x):
        kh, kw, c = self.w.shape
        win = self._patches(x, kh, kw)
        acc = np.einsum("nhwijc,ijc->nhwc", win.astype(np.int64), self.w.astype(np.int64) - self.zw) + self.bias
        return self._requant(acc)


class SparseConv1x1:
    def __init__(self, weight, bias=None, *, output_min=-np.inf, output_max=np.inf):
        self.w = np.asarray(weight, np.float32)
        self.b = np.zeros(self.w.shape[0], np.float32) if bias is None else np.asarray(bias, np.float32)
        self.lo, self.hi = output_min, output_max

    def __call__(self, x, out=None, threads=None):
        CALLS.append(("SparseConv1x1", threads))
        cin, h, w = x.shape
        y = self.w @ x.reshape(cin, h * w) + self.b[:, None]
        return np.clip(y, self.lo, self.hi).astype(np.float32).reshape(-1, h, w)


class Broken(Linear):
    """A Linear whose call fails: the benchmark must report it, not crash."""

    def _run(self, x):
        raise ValueError("unsupported shape in this build")


ALL = {"Linear": Linear, "Conv2d": Conv2d, "DepthwiseConv2d": DepthwiseConv2d, "SparseConv1x1": SparseConv1x1}
