"""Guard-page sweeps of the 8-bit GEMM family, run in a child process by
tests/test_gemm.py and tests/test_linear_conv.py (see guard.py).

Kernel level: A rows, packed weights and C flush against PROT_NONE pages
(after the end, then before the start) for every variant over M/N/K tails.
Operator level: Linear/Conv2d inputs and out= arrays the same way, through
both the GEMM and the IGEMM (padding taps, zero row) paths."""
import numpy as np

import qkernels as qk
from qkernels import _ext, reference
from conftest import scaled
from guard import case, guarded
from test_gemm import DT, FAMILIES, MODES, Case, tile


def gemm_kernels():
    rng = np.random.default_rng(11)
    shapes = [(1, 1, 1), (2, 3, 7), (4, 5, 13), (5, 9, 8), (3, 17, 31), (7, 16, 64)]
    for family in FAMILIES:
        for mode in MODES:
            for m, n, k in shapes[:scaled(len(shapes), 4)]:
                c0 = Case(family, rng, m, n, k, mode)
                want = c0.want()
                for name in _ext.variants(family):
                    mr, nr, kr, sr, fmt = tile(family, name)
                    for side in ("after", "before"):
                        case(f"{name} {mode} m={m} n={n} k={k} side={side}")
                        a = guarded(np.zeros(m * k, np.uint8), side)
                        c = guarded(np.full(m * n, 0xA5, np.uint8), side)
                        p = guarded(np.zeros(_ext.gemm_packed_bytes(n, k, 1, nr, kr, mode, fmt), np.uint8), side)
                        got = c0.run(name, a_buf=a, c_buf=c, packed_buf=p)
                        assert np.array_equal(got, want), (name, m, n, k, side)


def _quant(dt, k):
    return dict(input_scale=0.05, input_zero_point=3 if dt == np.int8 else 130, weight_scale=0.002,
                weight_zero_point=0 if dt == np.int8 else 120, output_scale=0.05 * 0.002 * np.sqrt(k) * 60,
                output_zero_point=-5 if dt == np.int8 else 128)


def gemm_operators():
    rng = np.random.default_rng(12)
    for family in FAMILIES:
        dt = DT[family]
        info = np.iinfo(dt)
        rand = lambda shape: rng.integers(info.min, info.max + 1, shape).astype(dt)
        for name in _ext.variants(family):
            # conv: Cin 3 (K tails), stride 2 with padding taps, Cout 5 (N tail)
            for geometry in (dict(stride=2, padding=1), dict(padding="same", dilation=2), dict()):
                w = rand((5, 3, 3, 3)) if geometry else rand((5, 1, 1, 3))
                kw = _quant(dt, w[0].size)
                op = qk.Conv2d(w, kernel=name, **geometry, **kw)
                x0 = rand((2, 5, 7, 3))
                want = reference.conv2d(x0, w, **geometry, **kw)
                for side in ("after", "before"):
                    case(f"{name} conv {geometry} side={side}")
                    x = guarded(x0, side)
                    out = guarded(np.zeros(want.shape, dt), side)
                    assert np.array_equal(op(x, out=out), want), (name, geometry, side)
            # linear with odd K and N
            wl = rand((7, 13))
            kl = _quant(dt, 13)
            lin = qk.Linear(wl, kernel=name, **kl)
            xl0 = rand((4, 13))
            want = reference.linear(xl0, wl, **kl)
            for side in ("after", "before"):
                case(f"{name} linear side={side}")
                xl = guarded(xl0, side)
                out = guarded(np.zeros((4, 7), dt), side)
                assert np.array_equal(lin(xl, out=out), want), (name, side)
