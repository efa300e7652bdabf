"""Guest side of bench/spmm_icount.sh: run one f32_spmm layer `reps` times.

    python spmm_icount.py COUT CIN HW SPARSITY KERNEL REPS [BLOCK [CLAMP]]

Calls the C driver directly (qkernels._ext.f32_spmm, threads=1) on weights
packed once, so a count difference between two REPS values is the driver
plus the kernel plus the thin binding; COUT=CIN=HW=1 measures that binding
overhead alone.  BLOCK=4 makes the weights 4x1 block-sparse (4 output
channels share a pattern), so the packer forms 4-channel groups.  CLAMP=1
clamps the output to [0, 6] (ReLU6) instead of leaving it unbounded.
"""
import sys

import numpy as np

from qkernels import _ext


def main():
    cout, cin, hw = (int(a) for a in sys.argv[1:4])
    sparsity = float(sys.argv[4])
    kernel, reps = sys.argv[5], int(sys.argv[6])
    block = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    lo, hi = (0.0, 6.0) if len(sys.argv) > 8 and sys.argv[8] == "1" else (-np.inf, np.inf)
    rng = np.random.default_rng(42)
    keep = rng.random((-(-cout // block), cin)) >= sparsity
    w = (rng.standard_normal((cout, cin)) * np.repeat(keep, block, axis=0)[:cout]).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    desc, values, diffs, first, nnz = _ext.f32_spmm_pack(w, b, 4)
    bdiffs = (diffs.astype(np.int64) * hw * 4).astype(np.int32)
    x = rng.standard_normal(cin * hw).astype(np.float32)
    y = np.empty(cout * hw, np.float32)
    for _ in range(reps):
        _ext.f32_spmm(x, y, 1, cin, cout, hw, desc, values, bdiffs, first, lo, hi, 1, kernel)
    print(f"nnz {nnz} macs {nnz * hw}")


if __name__ == "__main__":
    main()
