"""Guard-page sweeps of the fp32 CHW kernels, run in a child process by
tests/test_chw.py (see guard.py): every usable variant, with inputs and
outputs flush against PROT_NONE pages after the end and before the start,
over the width/height tails of the 4-wide blocks, both dwconv paths (padded
row ring, and in-place rows beyond ~120 floats) and the stem's edge blocks.
Results must equal the scalar twin run on ordinary copies."""
import numpy as np

import qkernels as qk
from qkernels import _ext
from conftest import scaled
from guard import case, guarded

SIDES = ("after", "before")


def _check(label, run, x, out_shape, want):
    for side in SIDES:
        case(f"{label} side={side}")
        out = guarded(np.zeros(out_shape, want.dtype), side)
        run(guarded(x, side), out)
        assert np.array_equal(out, want), (label, side)


def dwconv():
    rng = np.random.default_rng(11)
    widths = list(range(1, scaled(22, 14))) + [129, 130, 131, 132]
    for k, s in [(3, 1), (3, 2), (5, 1), (5, 2)]:
        names = _ext.variants(f"f32_dwconv2d_chw_{k}x{k}s{s}p{k // 2}")
        for h in (1, 2, 5):
            for w in widths:
                x = rng.standard_normal((2, h, w)).astype(np.float32)
                op = qk.chw.DepthwiseConv2d(rng.standard_normal((2, k, k)).astype(np.float32), stride=s)
                want = op(x, kernel=names[-1])
                for name in names:
                    _check(f"{name} h={h} w={w}", lambda a, o: op(a, out=o, kernel=name), x, want.shape, want)


def stem():
    rng = np.random.default_rng(12)
    names = _ext.variants("f32_conv_hwc2chw_3x3s2p1c3")
    for h in (1, 2, 4):
        for w in range(1, scaled(22, 14)):
            x = rng.standard_normal((h, w, 3)).astype(np.float32)
            op = qk.chw.Conv2dHWC2CHW(rng.standard_normal((11, 3, 3, 3)).astype(np.float32))
            want = op(x, kernel=names[-1])
            for name in names:
                _check(f"{name} h={h} w={w}", lambda a, o: op(a, out=o, kernel=name), x, want.shape, want)


def gavgpool():
    rng = np.random.default_rng(13)
    names = _ext.variants("f32_gavgpool_chw")
    op = qk.chw.GlobalAvgPool()
    for c in (1, 3, 4, 5, 9):
        for hw in (1, 2, 3, 5, 6, 49):
            x = rng.standard_normal((c, hw, 1)).astype(np.float32)
            want = op(x, kernel=names[-1])
            for name in names:
                _check(f"{name} c={c} hw={hw}", lambda a, o: op(a, out=o, kernel=name), x, want.shape, want)


def transpose():
    rng = np.random.default_rng(14)
    for name in _ext.variants("x32_transpose_chw"):
        for h, w, c in [(1, 1, 1), (1, 3, 3), (5, 3, 7), (4, 4, 4), (3, 9, 5), (2, 2, 17)]:
            x = rng.standard_normal((h, w, c)).astype(np.float32)
            _check(f"{name} hwc->chw {h}x{w}x{c}", lambda a, o: qk.chw.hwc_to_chw(a, out=o, kernel=name), x,
                   (c, h, w), x.transpose(2, 0, 1).copy())
            y = x.transpose(2, 0, 1).copy()
            _check(f"{name} chw->hwc {h}x{w}x{c}", lambda a, o: qk.chw.chw_to_hwc(a, out=o, kernel=name), y,
                   (h, w, c), x)
