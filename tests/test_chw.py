"""fp32 CHW operators (qk.chw): every variant equals its scalar twin, the
scalar kernels equal the float64 NHWC numpy references after transposition,
memory stays inside the given buffers, and bad arguments raise."""
import pickle
import threading

import numpy as np
import pytest

import qkernels as qk
from qkernels import _ext, reference
from conftest import scaled
from guard import run_cases

DW_SHAPES = [(3, 1), (3, 2), (5, 1), (5, 2)]


def dw_family(k, s):
    return f"f32_dwconv2d_chw_{k}x{k}s{s}p{k // 2}"


STEM = "f32_conv_hwc2chw_3x3s2p1c3"
GAP = "f32_gavgpool_chw"
TRANSPOSE = "x32_transpose_chw"
ALL_FAMILIES = [dw_family(k, s) for k, s in DW_SHAPES] + [STEM, GAP, TRANSPOSE]


def simd_variants(family):
    """(scalar name, [other usable variants]) of a family."""
    names = _ext.variants(family)
    assert names and names[-1].endswith("__scalar"), names
    return names[-1], names[:-1]


def assert_close(got, want, bound, what=""):
    """|got - want| <= 1e-5 * bound, where bound is the same computation on |inputs|
    (a float32 sum of n terms is off by at most ~n*eps times the sum of their magnitudes)."""
    assert got.shape == want.shape and got.dtype == np.float32
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    lim = 1e-5 * bound.astype(np.float64) + 1e-30
    bad = np.argwhere(err > lim)
    assert bad.size == 0, f"{what}: {bad.shape[0]} outputs off, first at {tuple(bad[0])}: " \
                          f"got {got[tuple(bad[0])]}, want {want[tuple(bad[0])]}"


def randf(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


# ---------------------------------------------------------------- depthwise


def dw_reference(x, w, b, s, lo=None, hi=None):
    """The NHWC float64 reference, transposed back to CHW, and its magnitude bound."""
    xb = x if x.ndim == 4 else x[None]
    y = reference.depthwise_conv2d_nhwc(reference.chw_to_hwc(xb), w, b, s)
    y = np.clip(y, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    bound = reference.depthwise_conv2d_nhwc(np.abs(reference.chw_to_hwc(xb)), np.abs(w), np.abs(b), s)
    y, bound = reference.hwc_to_chw(y).astype(np.float32), reference.hwc_to_chw(bound)
    return (y, bound) if x.ndim == 4 else (y[0], bound[0])


@pytest.mark.parametrize("k,s", DW_SHAPES)
def test_dwconv_every_variant_equals_scalar(k, s, rng):
    """Widths 1..23 x heights 1..11 (every row/pixel tail and edge case of the
    4-wide blocks at both strides), channels 1..17."""
    scalar, others = simd_variants(dw_family(k, s))
    widths = range(1, scaled(24, 14))
    heights = range(1, scaled(12, 7))
    for h in heights:
        for w in widths:
            c = int(rng.integers(1, 18)) if (h + w) % 3 == 0 else 1 + (h * 7 + w) % 3
            x = randf(rng, c, h, w)
            op = qk.chw.DepthwiseConv2d(randf(rng, c, k, k), randf(rng, c), stride=s)
            want = op(x, kernel=scalar)
            assert want.shape == (c, (h - 1) // s + 1, (w - 1) // s + 1)
            for name in others:
                np.testing.assert_array_equal(op(x, kernel=name), want, err_msg=f"{name} c={c} h={h} w={w}")


@pytest.mark.parametrize("k,s", DW_SHAPES)
def test_dwconv_wide_rows_every_variant_equals_scalar(k, s, rng):
    """Widths around 120, where SIMD variants switch from padded row copies to
    in-place rows with edge blocks, and far beyond it."""
    scalar, others = simd_variants(dw_family(k, s))
    widths = list(range(scaled(112, 118), scaled(140, 127))) + [scaled(263, 150)]
    for h in (1, 2, 5):
        for w in widths:
            x = randf(rng, 2, h, w)
            op = qk.chw.DepthwiseConv2d(randf(rng, 2, k, k), randf(rng, 2), stride=s, output_min=-1.5)
            want = op(x, kernel=scalar)
            for name in others:
                np.testing.assert_array_equal(op(x, kernel=name), want, err_msg=f"{name} h={h} w={w}")
    x, wt, b = randf(rng, 3, 9, 301), randf(rng, 3, k, k), randf(rng, 3)
    want, bound = dw_reference(x, wt, b, s)
    assert_close(qk.chw.DepthwiseConv2d(wt, b, stride=s)(x), want, bound)


@pytest.mark.parametrize("k,s", DW_SHAPES)
def test_dwconv_matches_nhwc_reference(k, s, rng):
    cases = [(1, 1, 1), (3, 1, 17), (2, 17, 1), (5, 9, 23), (17, 8, 8), (4, 33, 29)]
    for c, h, w in cases:
        x, wt, b = randf(rng, c, h, w), randf(rng, c, k, k), randf(rng, c)
        want, bound = dw_reference(x, wt, b, s)
        for name in _ext.variants(dw_family(k, s)):
            got = qk.chw.DepthwiseConv2d(wt, b, stride=s)(x, kernel=name)
            assert_close(got, want, bound, f"{name} {c}x{h}x{w}")
        # no bias = zero bias; the numpy twin in qkernels.reference agrees
        got = qk.chw.DepthwiseConv2d(wt, stride=s)(x)
        assert_close(got, reference.depthwise_conv2d_chw(x, wt, None, s), dw_reference(x, wt, 0 * b, s)[1])


@pytest.mark.parametrize("k,s", DW_SHAPES)
def test_dwconv_batch_and_clamp(k, s, rng):
    n, c, h, w = 3, 5, 11, 13
    x, wt, b = randf(rng, n, c, h, w), randf(rng, c, k, k), randf(rng, c)
    for lo, hi in [(0.0, 6.0), (-0.5, 0.25), (None, 0.0), (1.0, 1.0)]:
        want, bound = dw_reference(x, wt, b, s, lo, hi)
        for name in _ext.variants(dw_family(k, s)):
            got = qk.chw.DepthwiseConv2d(wt, b, stride=s, output_min=lo, output_max=hi)(x, kernel=name)
            assert_close(got, want, bound, f"{name} clamp {lo} {hi}")
            if lo is not None:
                assert got.min() >= lo
            if hi is not None:
                assert got.max() <= hi
        # a batch is the images one by one
        op = qk.chw.DepthwiseConv2d(wt, b, stride=s, output_min=lo, output_max=hi)
        np.testing.assert_array_equal(op(x), np.stack([op(x[i]) for i in range(n)]))


def test_dwconv_mobilenet_shapes_threads(rng):
    """MobileNet-like shapes: multithreaded tiling gives the same bits as one thread."""
    for k, s, c, hw in [(3, 1, 8, 56), (3, 2, 12, 28), (5, 1, 40, 7), (5, 2, 24, 14)]:
        x, wt, b = randf(rng, c, hw, hw), randf(rng, c, k, k), randf(rng, c)
        op = qk.chw.DepthwiseConv2d(wt, b, stride=s, output_min=0.0, output_max=6.0)
        one = op(x, threads=1)
        for t in (2, 3, 8):
            np.testing.assert_array_equal(op(x, threads=t), one)
        want, bound = dw_reference(x, wt, b, s, 0.0, 6.0)
        assert_close(one, want, bound)


# --------------------------------------------------------------------- stem


def stem_reference(x, w, b, lo=None, hi=None):
    xb = x if x.ndim == 4 else x[None]
    y = reference.conv2d_nhwc(xb, w, b, stride=2, padding=1)
    y = np.clip(y, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    bound = reference.conv2d_nhwc(np.abs(xb), np.abs(w), np.abs(b), stride=2, padding=1)
    y, bound = reference.hwc_to_chw(y).astype(np.float32), reference.hwc_to_chw(bound)
    return (y, bound) if x.ndim == 4 else (y[0], bound[0])


def test_stem_every_variant_equals_scalar(rng):
    """Widths 1..21, heights 1..11, output channels 1..17 (block-of-8 tails)."""
    scalar, others = simd_variants(STEM)
    for h in range(1, scaled(12, 7)):
        for w in range(1, scaled(22, 12)):
            cout = 1 + (h * 5 + w * 3) % 17
            x = randf(rng, h, w, 3)
            op = qk.chw.Conv2dHWC2CHW(randf(rng, cout, 3, 3, 3), randf(rng, cout))
            want = op(x, kernel=scalar)
            assert want.shape == (cout, (h - 1) // 2 + 1, (w - 1) // 2 + 1)
            for name in others:
                np.testing.assert_array_equal(op(x, kernel=name), want, err_msg=f"{name} h={h} w={w} cout={cout}")


def test_stem_matches_nhwc_reference(rng):
    for cout, h, w in [(1, 1, 1), (8, 2, 2), (9, 7, 9), (17, 16, 15), (32, 23, 30), (3, 1, 20)]:
        x, wt, b = randf(rng, h, w, 3), randf(rng, cout, 3, 3, 3), randf(rng, cout)
        want, bound = stem_reference(x, wt, b)
        for name in _ext.variants(STEM):
            assert_close(qk.chw.Conv2dHWC2CHW(wt, b)(x, kernel=name), want, bound, f"{name} {cout} {h}x{w}")
        assert_close(qk.chw.Conv2dHWC2CHW(wt)(x), reference.conv2d_hwc2chw(x, wt), stem_reference(x, wt, 0 * b)[1])


def test_stem_batch_clamp_threads(rng):
    n, cout, h, w = 2, 13, scaled(38, 18), scaled(41, 21)
    x, wt, b = randf(rng, n, h, w, 3), randf(rng, cout, 3, 3, 3), randf(rng, cout)
    for lo, hi in [(0.0, 6.0), (-1.0, None)]:
        want, bound = stem_reference(x, wt, b, lo, hi)
        for name in _ext.variants(STEM):
            op = qk.chw.Conv2dHWC2CHW(wt, b, output_min=lo, output_max=hi)
            got = op(x, kernel=name, threads=1)
            assert_close(got, want, bound, name)
            for t in (2, 5):
                np.testing.assert_array_equal(op(x, kernel=name, threads=t), got)
            np.testing.assert_array_equal(op(x[1], kernel=name), got[1])


# ------------------------------------------------------------ global pooling


def test_gavgpool_every_variant_equals_scalar_and_reference(rng):
    scalar, others = simd_variants(GAP)
    op = qk.chw.GlobalAvgPool()
    for c in range(1, 18):
        for h, w in [(1, 1), (1, 2), (1, 3), (2, 2), (1, 5), (3, 3), (2, 7), (7, 7), (1, 17), (5, 9)]:
            x = randf(rng, c, h, w) + 0.5
            want = op(x, kernel=scalar)
            assert want.shape == (c,)
            bound = np.abs(x.astype(np.float64)).mean(axis=(-2, -1))
            assert_close(want, reference.global_avg_pool_chw(x), bound, f"c={c} {h}x{w}")
            for name in others:
                np.testing.assert_array_equal(op(x, kernel=name), want, err_msg=f"{name} c={c} {h}x{w}")


def test_gavgpool_batch_clamp_threads(rng):
    x = randf(rng, 3, 37, 7, 7)
    bound = np.abs(x.astype(np.float64)).mean(axis=(-2, -1))
    for lo, hi in [(None, None), (0.0, 0.1), (-0.05, None)]:
        op = qk.chw.GlobalAvgPool(output_min=lo, output_max=hi)
        want = reference.global_avg_pool_chw(x, lo, hi)
        for name in _ext.variants(GAP):
            got = op(x, kernel=name, threads=1)
            assert got.shape == (3, 37)
            assert_close(got, want, bound, name)
            np.testing.assert_array_equal(op(x, kernel=name, threads=3), got)
    big = randf(rng, 16, 112, 112)  # many elements: 4 partial sums stay accurate
    assert_close(qk.chw.GlobalAvgPool()(big), reference.global_avg_pool_chw(big),
                 np.abs(big.astype(np.float64)).mean(axis=(-2, -1)) * 10)


# --------------------------------------------------------------- transposes


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint32])
def test_transposes_every_variant(dtype, rng):
    for c in range(1, 18):
        for h, w in [(1, 1), (1, 7), (3, 5), (4, 4), (9, 2), (13, 11)]:
            x = rng.integers(0, 2**31, size=(h, w, c)).astype(dtype)
            for name in _ext.variants(TRANSPOSE):
                y = qk.chw.hwc_to_chw(x, kernel=name)
                np.testing.assert_array_equal(y, x.transpose(2, 0, 1), err_msg=f"{name} {h}x{w}x{c}")
                assert y.dtype == x.dtype
                z = qk.chw.chw_to_hwc(y, kernel=name)
                np.testing.assert_array_equal(z, x, err_msg=f"{name} back {h}x{w}x{c}")
    # NaN payloads and -0.0 survive: it moves bits
    bits = np.array([0x7FC00001, 0x80000000, 0x7F800000, 1], np.uint32).view(np.float32).reshape(1, 2, 2)
    assert qk.chw.hwc_to_chw(bits).view(np.uint32).tolist() == [[[0x7FC00001, 0x7F800000]], [[0x80000000, 1]]]


def test_transposes_batch_big_and_threads(rng):
    x = randf(rng, 2, scaled(67, 19), scaled(131, 37), 35)
    want = reference.hwc_to_chw(x)
    for t in (1, 2, 3):
        np.testing.assert_array_equal(qk.chw.hwc_to_chw(x, threads=t), want)
        np.testing.assert_array_equal(qk.chw.chw_to_hwc(want, threads=t), x)
    # zero-sized axes give empty results
    assert qk.chw.hwc_to_chw(np.zeros((0, 4, 5, 3), np.float32)).shape == (0, 3, 4, 5)
    assert qk.chw.chw_to_hwc(np.zeros((3, 0, 5), np.float32)).shape == (0, 5, 3)


# ------------------------------------------------------------ end to end


def test_mobilenet_block_stays_in_chw(rng):
    """stem -> dw 3x3 -> dw 5x5 s2 -> pool, all CHW, equals the NHWC float64 pipeline."""
    img = rng.random((2, 33, 31, 3), dtype=np.float32)
    w0, b0 = randf(rng, 16, 3, 3, 3) * 0.3, randf(rng, 16) * 0.1
    w1, b1 = randf(rng, 16, 3, 3) * 0.3, randf(rng, 16) * 0.1
    w2, b2 = randf(rng, 16, 5, 5) * 0.2, randf(rng, 16) * 0.1
    y = qk.chw.Conv2dHWC2CHW(w0, b0, output_min=0.0, output_max=6.0)(img)
    y = qk.chw.DepthwiseConv2d(w1, b1, output_min=0.0, output_max=6.0)(y)
    y = qk.chw.DepthwiseConv2d(w2, b2, stride=2)(y)
    got = qk.chw.GlobalAvgPool()(y)
    z = np.clip(reference.conv2d_nhwc(img, w0, b0, 2, 1), 0, 6)
    z = np.clip(reference.depthwise_conv2d_nhwc(z, w1, b1, 1), 0, 6)
    z = reference.depthwise_conv2d_nhwc(z, w2, b2, 2)
    want = z.mean(axis=(1, 2))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


# ------------------------------------------------------------ memory safety


@pytest.mark.parametrize("sweep,cases", [("dwconv", 4 * 3 * 17 * 2), ("stem", 3 * 13 * 2), ("gavgpool", 5 * 6 * 2),
                                         ("transpose", 6 * 2 * 2)])
def test_no_access_outside_buffers(sweep, cases):
    """Guard pages after and before every input and output (tests/guard_cases_chw.py,
    in a child process so a fault names its case); `cases` is the least a
    scalar-only run covers (QEMU-sized sweeps)."""
    assert run_cases("guard_cases_chw", sweep) >= cases


# ------------------------------------------------- operator object contract


def test_pickle_immutable_repr_and_strided_input(rng):
    ops = [qk.chw.DepthwiseConv2d(randf(rng, 4, 5, 5), randf(rng, 4), stride=2, output_min=0.0),
           qk.chw.DepthwiseConv2d(randf(rng, 4, 3, 3)),
           qk.chw.Conv2dHWC2CHW(randf(rng, 4, 3, 3, 3), output_max=1.5),
           qk.chw.GlobalAvgPool(output_min=-1.0)]
    xs = [randf(rng, 4, 9, 8), randf(rng, 4, 9, 8), randf(rng, 9, 8, 3), randf(rng, 4, 9, 8)]
    for op, x in zip(ops, xs):
        clone = pickle.loads(pickle.dumps(op))
        assert type(clone) is type(op) and repr(clone) == repr(op)
        np.testing.assert_array_equal(clone(x), op(x))
        with pytest.raises(AttributeError):
            op.output_min = 3.0
        # non-contiguous input: same result as its contiguous copy
        big = np.zeros(x.shape + (2,), np.float32)
        big[..., 1] = x
        view = big[..., 1]
        assert not view.flags.c_contiguous
        np.testing.assert_array_equal(op(view), op(x))
        # out= is filled and returned
        out = np.full(op(x).shape, np.nan, np.float32)
        assert op(x, out=out) is out
        np.testing.assert_array_equal(out, op(x))
    assert not ops[0].weight.flags.writeable


def test_concurrent_calls_from_python_threads(rng):
    op = qk.chw.DepthwiseConv2d(randf(rng, 16, 3, 3), randf(rng, 16))
    xs = [randf(rng, 16, 40, 40) for _ in range(6)]
    want = [op(x, threads=1) for x in xs]
    errors = []

    def worker(i):
        try:
            for _ in range(scaled(5, 2)):
                np.testing.assert_array_equal(op(xs[i], threads=2), want[i])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(len(xs))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors[0]


def test_cpu_info_lists_chw_families():
    info = qk.cpu_info()
    for family in ALL_FAMILIES:
        assert info["kernels"][family] == _ext.variants(family)[0]
    # the SIMD twin is built and usable wherever its ISA is, so the variant
    # comparisons above really ran it (SSE2 on x86, NEON on Arm), and a SIMD
    # variant (the stem's AVX2 one on AVX2 machines) is what operators use
    simd = {"x86_64": "sse2", "aarch64": "neon", "armv7": "neon"}.get(info["arch"])
    levels = info["isa_levels"]
    if simd and info["features"].get(simd) and levels.index(simd) <= levels.index(info["isa_cap"]):
        for family in ALL_FAMILIES:
            assert any(v.endswith("__" + simd) for v in _ext.variants(family)), family
            assert not info["kernels"][family].endswith("__scalar"), family


# ------------------------------------------------------------ bad arguments

W3 = np.zeros((4, 3, 3), np.float32)
X = np.zeros((4, 6, 6), np.float32)


@pytest.mark.parametrize("make,exc,match", [
    (lambda: qk.chw.DepthwiseConv2d(W3.astype(np.float64)), TypeError, "weight must have dtype float32"),
    (lambda: qk.chw.DepthwiseConv2d("w"), TypeError, "weight"),
    (lambda: qk.chw.DepthwiseConv2d(np.zeros((4, 3), np.float32)), ValueError, "weight must have 3 dimensions"),
    (lambda: qk.chw.DepthwiseConv2d(np.zeros((4, 3, 5), np.float32)), ValueError, "weight must have shape"),
    (lambda: qk.chw.DepthwiseConv2d(np.zeros((4, 7, 7), np.float32)), ValueError, "weight must have shape"),
    (lambda: qk.chw.DepthwiseConv2d(np.zeros((0, 3, 3), np.float32)), ValueError, "weight"),
    (lambda: qk.chw.DepthwiseConv2d(W3, stride=3), ValueError, "stride"),
    (lambda: qk.chw.DepthwiseConv2d(W3, stride=(1, 2)), ValueError, "stride"),
    (lambda: qk.chw.DepthwiseConv2d(W3, stride=1.0), TypeError, "stride"),
    (lambda: qk.chw.DepthwiseConv2d(W3, padding=0), ValueError, "padding"),
    (lambda: qk.chw.DepthwiseConv2d(W3, padding="same"), TypeError, "padding"),
    (lambda: qk.chw.DepthwiseConv2d(W3, np.zeros(3, np.float32)), ValueError, "bias must have shape"),
    (lambda: qk.chw.DepthwiseConv2d(W3, np.zeros(4, np.int32)), TypeError, "bias"),
    (lambda: qk.chw.DepthwiseConv2d(W3, output_min=1.0, output_max=0.0), ValueError, "output_min"),
    (lambda: qk.chw.DepthwiseConv2d(W3, output_min=float("nan")), ValueError, "output_min"),
    (lambda: qk.chw.DepthwiseConv2d(W3, output_max="6"), TypeError, "output_max"),
    (lambda: qk.chw.DepthwiseConv2d(W3)(X.astype(np.float64)), TypeError, "x must have dtype float32"),
    (lambda: qk.chw.DepthwiseConv2d(W3)(X[0]), ValueError, "x must have 3..4 dimensions"),
    (lambda: qk.chw.DepthwiseConv2d(W3)(X[:3]), ValueError, "x must have 4 channels"),
    (lambda: qk.chw.DepthwiseConv2d(W3)(X[:, :0]), ValueError, "x must have non-zero"),
    (lambda: qk.chw.DepthwiseConv2d(W3)(X, threads=0), ValueError, "threads"),
    (lambda: qk.chw.DepthwiseConv2d(W3)(X, out=np.zeros((4, 6, 5), np.float32)), ValueError, "out must have shape"),
    (lambda: qk.chw.DepthwiseConv2d(W3)(X, out=np.zeros((4, 6, 6), np.float64)), TypeError, "out must have dtype"),
    (lambda: qk.chw.DepthwiseConv2d(W3)(X, out=X), ValueError, "share memory"),
    (lambda: qk.chw.DepthwiseConv2d(W3)(X, kernel="nope"), ValueError, "does not run"),
    (lambda: qk.chw.Conv2dHWC2CHW(np.zeros((8, 3, 3, 4), np.float32)), ValueError, "weight must have shape"),
    (lambda: qk.chw.Conv2dHWC2CHW(np.zeros((8, 3, 3, 3), np.float16)), TypeError, "weight"),
    (lambda: qk.chw.Conv2dHWC2CHW(np.zeros((8, 3, 3, 3), np.float32), stride=1), ValueError, "stride"),
    (lambda: qk.chw.Conv2dHWC2CHW(np.zeros((8, 3, 3, 3), np.float32), padding=0), ValueError, "padding"),
    (lambda: qk.chw.Conv2dHWC2CHW(np.zeros((8, 3, 3, 3), np.float32), np.zeros(7, np.float32)), ValueError, "bias"),
    (lambda: qk.chw.Conv2dHWC2CHW(np.zeros((8, 3, 3, 3), np.float32))(np.zeros((5, 5, 4), np.float32)),
     ValueError, "x must be HWC with 3 channels"),
    (lambda: qk.chw.Conv2dHWC2CHW(np.zeros((8, 3, 3, 3), np.float32))(np.zeros((0, 5, 3), np.float32)),
     ValueError, "x must have non-zero"),
    (lambda: qk.chw.Conv2dHWC2CHW(np.zeros((8, 3, 3, 3), np.float32))(np.zeros((5, 5, 3), np.int32)),
     TypeError, "x must have dtype float32"),
    (lambda: qk.chw.GlobalAvgPool()(np.zeros((4, 4), np.float32)), ValueError, "x must have 3..4 dimensions"),
    (lambda: qk.chw.GlobalAvgPool()(np.zeros((4, 0, 4), np.float32)), ValueError, "x must have non-zero"),
    (lambda: qk.chw.GlobalAvgPool(output_min=2, output_max=1), ValueError, "output_min"),
    (lambda: qk.chw.GlobalAvgPool()(X, out=np.zeros(5, np.float32)), ValueError, "out must have shape"),
    (lambda: qk.chw.hwc_to_chw(np.zeros((2, 2, 2), np.float64)), TypeError, "x must have dtype"),
    (lambda: qk.chw.hwc_to_chw(np.zeros((2, 2), np.float32)), ValueError, "x must have 3..4 dimensions"),
    (lambda: qk.chw.chw_to_hwc(np.zeros((2, 3, 4), np.float32), out=np.zeros((2, 3, 4), np.float32)),
     ValueError, "out must have shape"),
    (lambda: qk.chw.chw_to_hwc(np.zeros((2, 3, 4), np.int32), out=np.zeros((3, 4, 2), np.float32)),
     TypeError, "out must have dtype"),
    (lambda: qk.chw.chw_to_hwc(X, threads=10**6), ValueError, "threads"),
])
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bindings_recheck_sizes():
    """The Cython layer refuses inconsistent sizes instead of touching memory."""
    x = np.zeros(4 * 6 * 6, np.float32)
    wts = np.zeros(4 * 10, np.float32)
    with pytest.raises(ValueError, match="x has the wrong size"):
        _ext.chw_dwconv2d(x, wts, np.zeros(4 * 36, np.float32), 1, 4, 6, 7, 3, 1, 1, -1.0, 1.0, 1)
    with pytest.raises(ValueError, match="out has the wrong size"):
        _ext.chw_dwconv2d(x, wts, np.zeros(4 * 35, np.float32), 1, 4, 6, 6, 3, 1, 1, -1.0, 1.0, 1)
    with pytest.raises(ValueError, match="unsupported"):
        _ext.chw_dwconv2d(x, wts, np.zeros(4 * 36, np.float32), 1, 4, 6, 6, 3, 1, 0, -1.0, 1.0, 1)
    with pytest.raises(ValueError, match="x has the wrong size"):
        _ext.chw_transpose(np.zeros(5, np.uint32), np.zeros(6, np.uint32), 1, 2, 3, 1)
    with pytest.raises(ValueError, match="packed weights"):
        _ext.chw_conv_hwc2chw(np.zeros(27, np.float32), np.zeros(10, np.float32), np.zeros(8 * 4, np.float32),
                              1, 3, 3, 8, -1.0, 1.0, 1)
