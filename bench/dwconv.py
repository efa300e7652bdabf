"""Depthwise 3x3 benchmark: GOP/s (2 ops per MAC) of qk.DepthwiseConv2d on MobileNet layers.

    PYTHONPATH=. python bench/dwconv.py [--threads 1] [--kernel NAME] [--dtype int8|uint8] [--repeat 50]
"""
import argparse
import time

import numpy as np

import qkernels as qk

LAYERS = [  # (H, W, C, stride)
    (112, 112, 32, 1), (56, 56, 144, 1), (56, 56, 144, 2), (28, 28, 192, 1), (14, 14, 384, 1), (7, 7, 960, 1),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--kernel", default=None)
    ap.add_argument("--dtype", default="int8")
    ap.add_argument("--mode", default="fp32")
    ap.add_argument("--min-time", type=float, default=0.3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    info = np.iinfo(args.dtype)
    rates = []
    for h, w, c, s in LAYERS:
        wt = rng.integers(info.min, info.max, (3, 3, c), endpoint=True).astype(args.dtype)
        op = qk.DepthwiseConv2d(wt, rng.integers(-1000, 1000, c).astype(np.int32), stride=s, padding=1,
                                input_scale=0.02, input_zero_point=0 if args.dtype == "int8" else 128,
                                weight_scale=0.01, weight_zero_point=0 if args.dtype == "int8" else 127,
                                output_scale=0.5, output_zero_point=0 if args.dtype == "int8" else 128,
                                requantization=args.mode)
        x = rng.integers(info.min, info.max, (1, h, w, c), endpoint=True).astype(args.dtype)
        y = op._run(x, None, args.threads, args.kernel)
        macs = y.size * 9
        best, total, n = 1e9, 0.0, 0
        while total < args.min_time or n < 5:
            t0 = time.perf_counter()
            op._run(x, y, args.threads, args.kernel)
            dt = time.perf_counter() - t0
            best, total, n = min(best, dt), total + dt, n + 1
        gops = 2 * macs / best / 1e9
        rates.append(gops)
        print(f"{h:4d}x{w:<4d}x{c:<4d} s{s}  {best * 1e6:9.1f} us  {gops:6.1f} GOP/s  ({args.kernel or op.kernel})")
    print(f"geomean {np.exp(np.mean(np.log(rates))):.1f} GOP/s")


if __name__ == "__main__":
    main()
