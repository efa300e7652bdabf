"""Sparse fp32 1x1 convolution benchmark (MobileNet v2 1x1 layers, CHW, batch 1).

    python bench/spmm.py                      # 70/80/90% sparsity, threads=1, every peer installed
    python bench/spmm.py --crossover          # sparse kernel vs dense BLAS from 0% to 90% sparsity
    python bench/spmm.py --variants           # every usable f32_spmm variant on the 80% layers

Times are the fastest single call of a short run (a benchmark, not a test).
GOP/s are dense-equivalent (2 * Cout * Cin * H*W / time), as in ANCHORS.md.
Peers: numpy dense float32 matmul (BLAS, pinned to one thread), scipy CSR @
dense, torch.sparse CSR @ dense (one thread) when torch is importable.
"""
import argparse
import math
import os
import sys
import time

# One BLAS thread for the dense peer, before numpy loads its BLAS.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import qkernels as qk  # noqa: E402
from qkernels import _ext  # noqa: E402

# Cout x Cin x HW
LAYERS = [(144, 24, 3136), (24, 144, 3136), (96, 576, 196), (320, 960, 49), (1280, 320, 49)]


def timeit(fn, min_time=0.05, repeats=None):
    """Fastest single call, in seconds, over about min_time * 4 of calls.

    The minimum of single calls, not a mean: the 2 cores of the development
    machine are shared, other load only ever adds time, and a call of
    50-1000 us usually runs without being preempted."""
    fn()
    best = float("inf")
    spent = 0.0
    calls = 0
    while (spent < 4 * min_time or calls < 20) and calls < 20000:
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best = min(best, dt)
        spent += dt
        calls += 1
    return best


def weights(rng, cout, cin, sparsity):
    w = rng.standard_normal((cout, cin)).astype(np.float32)
    w[rng.random((cout, cin)) < sparsity] = 0.0
    return w


def peers():
    out = {}
    try:
        import scipy.sparse as sp
        out["scipy_csr"] = sp
    except ImportError:
        pass
    try:
        import torch
        torch.set_num_threads(1)
        out["torch_csr"] = torch
    except ImportError:
        pass
    return out


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def run_layers(sparsities, kernel=None, rounds=5):
    rng = np.random.default_rng(0)
    pe = peers()
    print(f"qkernels f32_spmm kernel: {kernel or _ext.selected('f32_spmm')}; peers: numpy dense BLAS, "
          f"{', '.join(pe) or '(no sparse peers installed)'}; threads=1")
    cols = ["ours", "dense"] + list(pe)
    print(f"{'layer CoutxCinxHW':>18} {'sp':>4} " + " ".join(f"{c + ' us':>12}" for c in cols) +
          "   GOP/s ours  x dense  x best sparse peer")
    summary = {}
    for s in sparsities:
        ratios_dense, ratios_peer, gops = [], [], []
        for cout, cin, hw in LAYERS:
            w = weights(rng, cout, cin, s)
            b = rng.standard_normal(cout).astype(np.float32)
            side = math.isqrt(hw)  # the layers are square: 56x56, 14x14, 7x7
            x = rng.standard_normal((cin, side, hw // side)).astype(np.float32)
            x2 = x.reshape(cin, hw)
            op = qk.SparseConv1x1(w, b, mode="sparse")
            out = np.empty((cout,) + x.shape[1:], np.float32)
            fns = {"ours": lambda: op(x, out=out, threads=1, kernel=kernel)}
            dense_out = np.empty((cout, hw), np.float32)

            def dense():
                np.matmul(w, x2, out=dense_out)
                np.add(dense_out, b[:, None], out=dense_out)
            fns["dense"] = dense
            if "scipy_csr" in pe:
                csr = pe["scipy_csr"].csr_matrix(w)
                fns["scipy_csr"] = lambda: csr @ x2 + b[:, None]
            if "torch_csr" in pe:
                torch = pe["torch_csr"]
                tw = torch.from_numpy(w).to_sparse_csr()
                tx, tb = torch.from_numpy(x2), torch.from_numpy(b)[:, None]

                def torch_csr():
                    with torch.inference_mode():
                        return torch.addmm(tb, tw, tx)
                fns["torch_csr"] = torch_csr
            # Interleaved rounds, fastest call of each: load from other
            # processes hits every candidate alike.
            t = {c: float("inf") for c in fns}
            for _ in range(rounds):
                for c, fn in fns.items():
                    t[c] = min(t[c], timeit(fn, min_time=0.01))
            g = 2.0 * cout * cin * hw / t["ours"] / 1e9
            best_peer = min((t[c] for c in pe), default=None)
            rd = t["dense"] / t["ours"]
            rp = best_peer / t["ours"] if best_peer else float("nan")
            ratios_dense.append(rd)
            gops.append(g)
            if best_peer:
                ratios_peer.append(rp)
            print(f"{cout:>5}x{cin:>4}x{hw:>5} {int(round(s * 100)):>3}% " +
                  " ".join(f"{t[c] * 1e6:>12.1f}" for c in cols) + f"   {g:>10.1f} {rd:>8.2f} {rp:>8.2f}")
        summary[s] = (geomean(gops), geomean(ratios_dense), geomean(ratios_peer) if ratios_peer else float("nan"))
        print(f"{'geomean':>18} {int(round(s * 100)):>3}%   GOP/s {summary[s][0]:.1f}, "
              f"x dense BLAS {summary[s][1]:.2f}, x best sparse peer {summary[s][2]:.2f}")
    return summary


def crossover():
    rng = np.random.default_rng(1)
    print("sparse kernel time / dense BLAS time (threads=1); < 1 means the sparse path wins")
    grid = [0.0, 0.2, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9]
    print(f"{'layer':>16} " + " ".join(f"{int(round(s * 100)):>5}%" for s in grid) + "   crossover")
    for cout, cin, hw in LAYERS:
        x = rng.standard_normal((cin, 1, hw)).astype(np.float32)
        x2 = x.reshape(cin, hw)
        out = np.empty((cout, 1, hw), np.float32)
        dense_out = np.empty((cout, hw), np.float32)
        row, cross = [], None
        for s in grid:
            w = weights(rng, cout, cin, s)
            b = np.zeros(cout, np.float32)
            op = qk.SparseConv1x1(w, b, mode="sparse")
            ts = timeit(lambda: op(x, out=out, threads=1), min_time=0.03)

            def dense():
                np.matmul(w, x2, out=dense_out)
                np.add(dense_out, b[:, None], out=dense_out)
            td = timeit(dense, min_time=0.03)
            row.append(ts / td)
            if cross is None and ts < td:
                cross = s
        print(f"{cout:>5}x{cin:>4}x{hw:>5} " + " ".join(f"{r:>6.2f}" for r in row) + f"   {cross}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--crossover", action="store_true")
    p.add_argument("--variants", action="store_true")
    p.add_argument("--sparsity", type=float, nargs="*", default=[0.7, 0.8, 0.9])
    a = p.parse_args()
    if a.crossover:
        crossover()
    elif a.variants:
        for name in _ext.variants("f32_spmm"):
            run_layers([0.8], kernel=name)
    else:
        run_layers(a.sparsity)


if __name__ == "__main__":
    main()
