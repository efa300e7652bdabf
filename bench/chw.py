"""Short timings of the fp32 CHW operators on MobileNet-v2-like shapes,
against a straightforward numpy float32 implementation of the same layer.

    PYTHONPATH=. python bench/chw.py [--threads 1] [--repeat 20]

Reports the best time per call of qk.chw (the dispatched variant and, for
comparison, the scalar one) and numpy, and qk's fraction of numpy's time.
"""
import argparse
import time

import numpy as np

import qkernels as qk
from qkernels import _ext


def numpy_dwconv(x, w, b, s):
    """Tap loop over a zero-padded CHW plane stack, float32 (what one writes in numpy)."""
    c, h, wd = x.shape
    k = w.shape[-1]
    p = k // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    oh, ow = (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1
    y = np.broadcast_to(b[:, None, None], (c, oh, ow)).copy()
    for ky in range(k):
        for kx in range(k):
            y += xp[:, ky:ky + s * (oh - 1) + 1:s, kx:kx + s * (ow - 1) + 1:s] * w[:, ky, kx, None, None]
    return y


def numpy_stem(x, w, b):
    """3x3 s2 p1 conv of an HWC image: per tap, a [pixels, 3] x [3, Cout] matmul, then to CHW."""
    h, wd, _ = x.shape
    xp = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    oh, ow = (h - 1) // 2 + 1, (wd - 1) // 2 + 1
    y = np.broadcast_to(b, (oh, ow, w.shape[0])).copy()
    for ky in range(3):
        for kx in range(3):
            y += xp[ky:ky + 2 * (oh - 1) + 1:2, kx:kx + 2 * (ow - 1) + 1:2, :] @ w[:, ky, kx, :].T
    return np.ascontiguousarray(y.transpose(2, 0, 1))


def best_time(fn, repeat):
    """Fastest of `repeat` calls: on a shared machine the minimum is the
    least disturbed measurement of the code itself."""
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.min(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    t = args.threads
    rows = []

    def run(name, family, qk_fn, np_fn, flops):
        scalar = _ext.variants(family)[-1]
        tq = best_time(lambda: qk_fn(None), args.repeat)
        ts = best_time(lambda: qk_fn(scalar), max(3, args.repeat // 4))
        tn = best_time(np_fn, max(3, args.repeat // 4))
        rows.append((name, _ext.selected(family).rsplit("__", 1)[1], tq, ts, tn, flops))

    for c, hw, k, s in [(32, 112, 3, 1), (144, 56, 3, 2), (960, 7, 5, 1), (240, 28, 5, 2)]:
        x, w, b = f(c, hw, hw), f(c, k, k), f(c)
        op = qk.chw.DepthwiseConv2d(w, b, stride=s)
        out = np.empty(op.output_shape(x.shape), np.float32)
        oh = op.output_shape(x.shape)[-1]
        run(f"dw{k}x{k} s{s} {c}x{hw}x{hw}", f"f32_dwconv2d_chw_{k}x{k}s{s}p{k // 2}",
            lambda kern: op(x, out=out, threads=t, kernel=kern), lambda: numpy_dwconv(x, w, b, s),
            2 * c * oh * oh * k * k)
    img, w0, b0 = f(224, 224, 3), f(32, 3, 3, 3), f(32)
    stem = qk.chw.Conv2dHWC2CHW(w0, b0)
    out = np.empty(stem.output_shape(img.shape), np.float32)
    run("stem 224x224x3 -> 32", "f32_conv_hwc2chw_3x3s2p1c3", lambda kern: stem(img, out=out, threads=t, kernel=kern),
        lambda: numpy_stem(img, w0, b0), 2 * 32 * 112 * 112 * 27)
    x = f(1280, 7, 7)
    gap = qk.chw.GlobalAvgPool()
    run("gavgpool 1280x7x7", "f32_gavgpool_chw", lambda kern: gap(x, threads=t, kernel=kern),
        lambda: x.mean(axis=(1, 2)), 1280 * 49)
    x = f(112, 112, 32)
    outc = np.empty((32, 112, 112), np.float32)
    run("hwc_to_chw 112x112x32", "x32_transpose_chw",
        lambda kern: qk.chw.hwc_to_chw(x, out=outc, threads=t, kernel=kern),
        lambda: np.ascontiguousarray(x.transpose(2, 0, 1)), 0)

    print(f"threads={t}  cpu={qk.cpu_info()['isa_cap']}  best of {args.repeat}")
    print(f"{'layer':26s} {'isa':6s} {'qk ms':>8s} {'GFLOP/s':>8s} {'scalar ms':>10s} {'numpy ms':>9s} {'qk/numpy':>9s}")
    for name, isa, tq, ts, tn, flops in rows:
        gf = f"{flops / tq / 1e9:8.2f}" if flops else f"{'':8s}"
        print(f"{name:26s} {isa:6s} {tq * 1e3:8.3f} {gf} {ts * 1e3:10.3f} {tn * 1e3:9.3f} {tq / tn:9.3f}")


if __name__ == "__main__":
    main()
