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


def glue():
    """qk.Add, qk.AddF32 and qk.GlobalAvgPool2d kernels: every variant, every tail."""
    rng = np.random.default_rng(11)
    sizes = list(range(0, scaled(71, 40))) + [scaled(4099, 1027)]
    for dtype in ("int8", "uint8"):
        info = np.iinfo(dtype)
        fam = ("qs8" if dtype == "int8" else "qu8")
        op = qk.Add(0.03, 1, 0.07, 2, 0.05, 3, dtype=dtype)
        for name in _ext.variants(fam + "_vadd"):
            for n in sizes:
                a = rng.integers(info.min, info.max, size=n, endpoint=True).astype(dtype)
                b = rng.integers(info.min, info.max, size=n, endpoint=True).astype(dtype)
                want = reference.add_quantized(a, b, 0.03, 1, 0.07, 2, 0.05, 3)
                for side in ("after", "before"):
                    case(f"{name} n={n} side={side}")
                    out = guarded(np.zeros(n, dtype), side)
                    op._run(guarded(a, side), guarded(b, side), out, 1, name)
                    assert np.array_equal(out, want), (name, n, side)
        for mode in ("fp32", "gemmlowp"):
            pool = qk.GlobalAvgPool2d(0.1, 4, 0.3, -1 if dtype == "int8" else 1, dtype, requantization=mode)
            for name in _ext.variants(fam + "_gavgpool"):
                for c in list(range(0, scaled(41, 35))) + [scaled(1031, 67)]:
                    for h, w in ((1, 1), (3, 2), (5, 7)):
                        x = rng.integers(info.min, info.max, size=(2, h, w, c), endpoint=True).astype(dtype)
                        want = reference.global_avg_pool2d(x, 0.1, 4, 0.3, -1 if dtype == "int8" else 1,
                                                           requantization=mode)
                        for side in ("after", "before"):
                            case(f"{name} {mode} {h}x{w}x{c} side={side}")
                            out = guarded(np.zeros((2, c), dtype), side)
                            pool._run(guarded(x, side), out, 1, name)
                            assert np.array_equal(out, want), (name, mode, h, w, c, side)
    op = qk.AddF32(-1.0, 1.0)
    for name in _ext.variants("f32_vadd"):
        for n in sizes:
            a = rng.standard_normal(n).astype(np.float32)
            b = rng.standard_normal(n).astype(np.float32)
            want = reference.add_f32(a, b, -1.0, 1.0)
            for side in ("after", "before"):
                case(f"{name} n={n} side={side}")
                out = guarded(np.zeros(n, np.float32), side)
                op._run(guarded(a, side), guarded(b, side), out, 1, name)
                assert np.array_equal(out, want), (name, n, side)
