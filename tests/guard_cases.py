"""Guard-page sweeps, run in a child process by tests/test_guard.py.

Each function runs every usable variant of a family with inputs and outputs
placed flush against PROT_NONE pages (after the end, then before the start)
over the size/tail sweeps, and checks the results against the reference.
"""
import numpy as np

import qkernels as qk
from qkernels import _ext, reference
from conftest import scaled
from guard import case, guarded


def requant():
    rng = np.random.default_rng(7)
    for dtype in ("int8", "uint8"):
        for mode in ("fp32", "gemmlowp"):
            fam = ("qs8" if dtype == "int8" else "qu8") + "_requant_" + mode
            for name in _ext.variants(fam):
                for n in list(range(0, scaled(70, 40))) + [scaled(4099, 1027)]:
                    acc = rng.integers(-(2**20), 2**20, size=n).astype(np.int32)
                    want = reference.requantize(acc, 0.01, 5, dtype, requantization=mode)
                    for side in ("after", "before"):
                        case(f"{name} n={n} side={side}")
                        a = guarded(acc, side)
                        out = guarded(np.zeros(n, dtype), side)
                        qk.requantize(a, 0.01, 5, dtype, requantization=mode, out=out, kernel=name)
                        assert np.array_equal(out, want), (name, n, side)
