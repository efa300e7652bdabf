"""Sparse fp32 1x1 convolution (f32_spmm family and qk.SparseConv1x1).

Every variant is compared with the scalar twin on the same packed weights:
bit for bit where the arithmetic is the same (SSE2, armv7-style NEON vmla),
within float32 rounding where it fuses multiply-adds (AVX2, aarch64 NEON).
"Within rounding" is 1e-5 of the magnitude |bias| + sum |w| |x| of the terms,
the honest scale of a float32 dot product's error (relative error of a sum
that cancels is unbounded).  The operator is compared with the float64
reference the same way.
"""
import pickle
import threading

import numpy as np
import pytest

import qkernels as qk
from qkernels import _ext, reference
from qkernels import sparse as qsparse
from conftest import scaled
from guard import run_cases

FAMILY = "f32_spmm"
VARIANTS = _ext.variants(FAMILY)
SCALAR = VARIANTS[-1]
TAILS = (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 63, 64, 65)


def exact_twin(name):
    """Variants that perform the scalar twin's exact operations (no FMA)."""
    return name.endswith("__sse2") or name.endswith("16x4__neon")


def rand_weight(rng, cout, cin, sparsity):
    w = rng.standard_normal((cout, cin)).astype(np.float32)
    w[rng.random((cout, cin)) < sparsity] = 0.0
    return w


def block_weight(rng, cout, cin, block, sparsity):
    """Block-sparse weights (block x 1 over output channels): the packer groups them."""
    keep = rng.random((-(-cout // block), cin)) >= sparsity
    mask = np.repeat(keep, block, axis=0)[:cout]
    return (rng.standard_normal((cout, cin)) * mask).astype(np.float32)


def magnitude(x, w, b):
    """|bias| + |w| @ |x| in float64, in the output's shape (the error scale)."""
    w = np.abs(np.asarray(w, np.float64))
    xs = np.abs(x.astype(np.float64))
    cin = xs.shape[-3]
    m = np.matmul(w, xs.reshape(xs.shape[:-3] + (cin, xs.shape[-2] * xs.shape[-1])))  # (-1 fails for size 0)
    if b is not None:
        m = m + np.abs(np.asarray(b, np.float64))[:, None]
    return m.reshape(xs.shape[:-3] + (w.shape[0],) + xs.shape[-2:])


def assert_close(got, want, mag, what=""):
    with np.errstate(invalid="ignore"):  # inf - inf where both are the same infinity
        err = np.where(got == want, 0.0, np.abs(got.astype(np.float64) - want.astype(np.float64)))
    nan_ok = np.isnan(got) == np.isnan(want)
    assert nan_ok.all(), f"{what}: NaN mismatch"
    bad = err > 1e-5 * mag + 1e-35
    bad &= ~np.isnan(got)
    assert not bad.any(), f"{what}: max error {err[bad].max()} at {np.argwhere(bad)[0]}"


def check_variants(op, x, what=""):
    """Every usable variant against the scalar one (and scalar against the reference)."""
    want = op(x, kernel=SCALAR)
    ref = reference.sparse_conv1x1(x, op.weight, op.bias, op.output_min, op.output_max)
    mag = magnitude(x, op.weight, op.bias)
    assert_close(want, ref, mag, f"scalar vs reference {what}")
    for name in VARIANTS[:-1]:
        got = op(x, kernel=name)
        if exact_twin(name):
            np.testing.assert_array_equal(got, want, err_msg=f"{name} {what}")
        else:
            assert_close(got, want, mag, f"{name} {what}")


def test_family_registered():
    assert FAMILY in _ext.families()
    assert SCALAR == "f32_spmm_ukernel_8x4__scalar"
    assert _ext.selected(FAMILY) == VARIANTS[0]
    for name in VARIANTS:
        isa, mr, nr, kr, sr = _ext.variant_info(FAMILY, name)
        assert nr == 4 and mr in (8, 16, 32, 64)
        assert name.startswith(f"f32_spmm_ukernel_{mr}x{nr}__")


# ---- the packed format ----

def test_pack_hand_derived():
    w = np.zeros((7, 5), np.float32)
    w[0:4, 1] = [1, 2, 3, 4]      # channels 0-3 share columns {1, 3}: one 4-group
    w[0:4, 3] = [5, 6, 7, 8]
    w[4, 0] = 9                   # channels 4, 5: columns {0} and {0, 4}: a pair
    w[5, 0], w[5, 4] = 10, 11     # (union 2 columns x 3 = 6 <= 2 x 3 nonzeros)
    # channel 6 is empty
    b = np.arange(1, 8, dtype=np.float32) / 2
    desc, values, diffs, first, nnz = _ext.f32_spmm_pack(w, b, 4)
    assert nnz == 11
    np.testing.assert_array_equal(desc, [2 << 2 | 2, 2 << 2 | 1, 0 << 2 | 0])
    np.testing.assert_array_equal(values, [0.5, 1, 1.5, 2,  1, 2, 3, 4,  5, 6, 7, 8,
                                           2.5, 3,  9, 10,  0, 11,
                                           3.5])
    # columns in order: channels 1, 3 | 0, 4; increments lead to the next, the last wraps to the first
    np.testing.assert_array_equal(diffs, [2, -3, 4, -3])
    assert first == 1

    # Without grouping: one group per channel, explicit zeros never stored.
    desc, values, diffs, first, nnz = _ext.f32_spmm_pack(w, b, 1)
    np.testing.assert_array_equal(desc, [2 << 2] * 4 + [1 << 2, 2 << 2, 0])
    np.testing.assert_array_equal(values, [0.5, 1, 5,  1, 2, 6,  1.5, 3, 7,  2, 4, 8,  2.5, 9,  3, 10, 11,  3.5])
    np.testing.assert_array_equal(diffs, [2, -2, 2, -2, 2, -2, 2, -3, 0, 4, -3])
    assert first == 1 and nnz == 11


def test_pack_random_is_ungrouped_and_blocks_are_grouped(rng):
    w = rand_weight(rng, 64, 48, 0.8)
    desc, values, diffs, first, nnz = _ext.f32_spmm_pack(w, np.zeros(64, np.float32), 4)
    # Random patterns are almost never similar enough to group: about 1 matrix
    # in 120 of these has one pair of neighbours that is (seeds 14, 236, ...).
    sizes = np.array([1, 2, 4])[desc & 3]
    assert sizes.sum() == 64 and (desc & 3 != 3).all() and len(desc) >= 62
    assert nnz == np.count_nonzero(w) == len(diffs) and len(values) == 64 + nnz
    w4 = block_weight(rng, 64, 48, 4, 0.8)
    desc, values, diffs, first, nnz = _ext.f32_spmm_pack(w4, np.zeros(64, np.float32), 4)
    assert len(desc) == 16 and (desc & 3 == 2).all()
    w2 = block_weight(rng, 10, 48, 2, 0.7)
    desc, *_ = _ext.f32_spmm_pack(w2, np.zeros(10, np.float32), 4)
    assert (desc & 3 != 0).all()


def test_pack_empty_weights():
    desc, values, diffs, first, nnz = _ext.f32_spmm_pack(np.zeros((6, 3), np.float32), np.ones(6, np.float32), 4)
    assert nnz == 0 and len(diffs) == 0 and first == 0
    np.testing.assert_array_equal(desc >> 2, 0)
    np.testing.assert_array_equal(values, np.ones(6))


# ---- every variant equals scalar ----

@pytest.mark.parametrize("sparsity", [0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.97, 1.0])
def test_variants_random_sparsity(sparsity, rng):
    for _ in range(scaled(12, 3)):
        cout, cin = rng.integers(1, scaled(70, 24), size=2)
        h, w_ = rng.integers(1, scaled(12, 8), size=2)
        w = rand_weight(rng, cout, cin, sparsity)
        b = rng.standard_normal(cout).astype(np.float32)
        op = qk.SparseConv1x1(w, b, mode="sparse")
        x = rng.standard_normal((cin, h, w_)).astype(np.float32)
        check_variants(op, x, f"{cout}x{cin} {h}x{w_} s={sparsity}")


@pytest.mark.parametrize("block", [2, 4])
def test_variants_block_sparse(block, rng):
    for cout in (block, 3 * block + 1, scaled(37, 13)):
        w = block_weight(rng, cout, 29, block, 0.6)
        op = qk.SparseConv1x1(w, rng.standard_normal(cout).astype(np.float32), mode="sparse")
        for hw in scaled((1, 3, 8, 13, 16, 31, 32, 37, 70), (1, 13, 37)):
            x = rng.standard_normal((29, 1, hw)).astype(np.float32)
            check_variants(op, x, f"block {block} cout {cout} hw {hw}")


def test_every_pixel_tail(rng):
    """H*W from 1 past two 32-pixel tiles: every 16/8/4/2/1 tail of every variant."""
    w = rand_weight(rng, 9, 11, 0.5)
    w[4:8] = block_weight(rng, 4, 11, 4, 0.3)  # a 4-group as well
    op = qk.SparseConv1x1(w, rng.standard_normal(9).astype(np.float32), mode="sparse")
    assert (_ext.f32_spmm_pack(w, op.bias, 4)[0] & 3 == 2).any()
    for hw in range(1, scaled(100, 70)):
        x = rng.standard_normal((11, hw, 1)).astype(np.float32)
        check_variants(op, x, f"hw {hw}")


def test_special_weights(rng):
    x = rng.standard_normal((2, 6, 5, 7)).astype(np.float32)
    b = rng.standard_normal(10).astype(np.float32)
    cases = {
        "all zero": np.zeros((10, 6), np.float32),
        "single nonzero": np.zeros((10, 6), np.float32),
        "empty channels": rand_weight(rng, 10, 6, 0.4),
        "dense": rand_weight(rng, 10, 6, 0.0),
    }
    cases["single nonzero"][7, 4] = -2.5
    cases["empty channels"][[0, 3, 4, 9]] = 0
    for what, w in cases.items():
        op = qk.SparseConv1x1(w, b, mode="sparse")
        check_variants(op, x, what)
    y = qk.SparseConv1x1(cases["all zero"], b, mode="sparse")(x)
    np.testing.assert_array_equal(y, np.broadcast_to(b[None, :, None, None], y.shape))
    y = qk.SparseConv1x1(cases["single nonzero"], mode="sparse")(x)
    want = np.zeros_like(y)
    want[:, 7] = np.float32(-2.5) * x[:, 4]
    np.testing.assert_array_equal(y, want)


def test_cin_one_and_single_pixel(rng):
    for cout, cin, h, w_ in [(5, 1, 3, 11), (1, 1, 1, 1), (17, 9, 1, 1), (1, 40, 1, 1), (4, 1, 1, 1)]:
        w = rand_weight(rng, cout, cin, 0.3)
        op = qk.SparseConv1x1(w, rng.standard_normal(cout).astype(np.float32), mode="sparse")
        check_variants(op, rng.standard_normal((cin, h, w_)).astype(np.float32), f"{cout}x{cin} {h}x{w_}")


@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (0.0, np.inf), (0.0, 6.0), (-np.inf, -1.0), (0.25, 0.25)])
def test_output_clamps(lo, hi, rng):
    w = rand_weight(rng, 12, 20, 0.6)
    w[3:7] = block_weight(rng, 4, 20, 4, 0.5)
    op = qk.SparseConv1x1(w, rng.standard_normal(12).astype(np.float32), output_min=lo, output_max=hi,
                          mode="sparse")
    x = rng.standard_normal((20, 7, 9)).astype(np.float32)
    check_variants(op, x, f"clamp {lo} {hi}")
    y = op(x)
    assert y.min() >= np.float32(lo) and y.max() <= np.float32(hi)


def test_batch_and_threads(rng):
    w = rand_weight(rng, 24, 40, 0.75)
    op = qk.SparseConv1x1(w, rng.standard_normal(24).astype(np.float32), mode="sparse")
    x = rng.standard_normal((3, 40, 9, scaled(23, 7))).astype(np.float32)
    check_variants(op, x, "batch 3")
    for name in VARIANTS:
        one = op(x, threads=1, kernel=name)
        for t in (2, 3, 8):
            np.testing.assert_array_equal(op(x, threads=t, kernel=name), one, err_msg=f"{name} threads={t}")
        for n in range(3):  # batch entries are independent images
            np.testing.assert_array_equal(op(x[n], kernel=name), one[n])


# ---- memory safety: inputs and outputs against PROT_NONE pages ----

def test_guard_pages():
    """Every variant, tail and group size with buffers flush against inaccessible pages (guard_spmm.py)."""
    assert run_cases("guard_spmm", "sweep") >= 2 * scaled(70, 40)


# ---- the operator ----

def test_operator_equals_reference_modes(rng):
    w = rand_weight(rng, 32, 48, 0.8)
    b = rng.standard_normal(32).astype(np.float32)
    x = rng.standard_normal((2, 48, 6, 10)).astype(np.float32)
    ref = reference.sparse_conv1x1(x, w, b, 0.0, 6.0)
    mag = magnitude(x, w, b)
    for mode in ("auto", "sparse", "dense"):
        op = qk.SparseConv1x1(w, b, output_min=0.0, output_max=6.0, mode=mode)
        assert op.mode == mode
        assert op.path == ("sparse" if mode == "auto" else mode)
        assert_close(op(x), ref, mag, mode)
        assert_close(op(x[1]), ref[1], mag[1], mode)
    assert qk.SparseConv1x1(rand_weight(rng, 8, 8, 0.0)).path == "dense"
    assert qk.SparseConv1x1(rand_weight(rng, 8, 8, 0.0), mode="sparse").path == "sparse"


def test_properties_immutability_pickle(rng):
    w = rand_weight(rng, 16, 10, 0.75)
    w[0, :] = 1.0  # make nnz deterministic-ish to check the count
    op = qk.SparseConv1x1(w, output_max=3.0)
    assert op.nnz == np.count_nonzero(w)
    assert op.sparsity == pytest.approx(1 - np.count_nonzero(w) / w.size)
    assert (op.in_channels, op.out_channels) == (10, 16)
    assert op.output_min == -np.inf and op.output_max == 3.0
    with pytest.raises(AttributeError):
        op.nnz = 3
    with pytest.raises(AttributeError):
        op._path = "dense"
    with pytest.raises(ValueError):
        op.weight[0, 0] = 5  # read-only
    w[:] = 0  # the operator keeps its own copy
    assert op.nnz == 16 * 10 - int(np.count_nonzero(op.weight == 0))
    x = rng.standard_normal((10, 4, 4)).astype(np.float32)
    op2 = pickle.loads(pickle.dumps(op))
    np.testing.assert_array_equal(op2(x), op(x))
    assert (op2.nnz, op2.path, op2.output_max) == (op.nnz, op.path, op.output_max)
    assert "SparseConv1x1" in repr(op)


def test_scipy_weights(rng):
    w = rand_weight(rng, 20, 30, 0.85)
    x = rng.standard_normal((30, 5, 5)).astype(np.float32)
    try:
        import scipy.sparse as sp
    except ImportError:
        with pytest.raises(TypeError, match="weight"):
            qk.SparseConv1x1(object())
        return
    for fmt in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        op = qk.SparseConv1x1(fmt(w))
        assert op.nnz == np.count_nonzero(w)
        np.testing.assert_array_equal(op(x), qk.SparseConv1x1(w)(x))
    with pytest.raises(TypeError, match="weight must have dtype float32"):
        qk.SparseConv1x1(sp.csr_matrix(w.astype(np.float64)))


def test_strided_input_and_out(rng):
    w = rand_weight(rng, 8, 6, 0.5)
    op = qk.SparseConv1x1(w, mode="sparse")
    big = rng.standard_normal((6, 10, 12)).astype(np.float32)
    view = big[:, ::2, 1::3]
    want = op(np.ascontiguousarray(view))
    np.testing.assert_array_equal(op(view), want)
    out = np.empty((8, 5, 4), np.float32)
    assert op(view, out=out) is out
    np.testing.assert_array_equal(out, want)
    ro = np.ascontiguousarray(view)
    ro.setflags(write=False)
    np.testing.assert_array_equal(op(ro), want)
    assert op(np.zeros((0, 6, 3, 3), np.float32)).shape == (0, 8, 3, 3)
    assert op(np.zeros((6, 0, 3), np.float32)).shape == (8, 0, 3)


def test_concurrent_calls(rng):
    w = rand_weight(rng, 40, 64, 0.8)
    op = qk.SparseConv1x1(w, rng.standard_normal(40).astype(np.float32), mode="sparse")
    xs = [rng.standard_normal((64, 9, 9 + i)).astype(np.float32) for i in range(6)]
    want = [op(x, threads=1) for x in xs]
    errors = []

    def work(i):
        try:
            for _ in range(scaled(20, 3)):
                np.testing.assert_array_equal(op(xs[i], threads=2), want[i])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_increment_overflow_rejected(rng):
    w = np.zeros((2, 3), np.float32)
    w[0, 0] = w[0, 2] = 1.0  # increments of 2 channels
    op = qk.SparseConv1x1(w, mode="sparse")
    assert op._byte_diffs(2**28 - 1).max() == 2 * 4 * (2**28 - 1)
    with pytest.raises(ValueError, match="H\\*W"):
        op._byte_diffs(2**28)


# ---- bad arguments ----

W0 = np.eye(4, 3, dtype=np.float32)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(weight=W0.astype(np.float64)), TypeError, "weight must have dtype float32"),
    (dict(weight=W0.astype(np.int8)), TypeError, "weight"),
    (dict(weight="w"), TypeError, "weight"),
    (dict(weight=np.zeros(3, np.float32)), ValueError, "weight must have 2 dimensions"),
    (dict(weight=np.zeros((2, 3, 1, 1), np.float32)), ValueError, "weight"),
    (dict(weight=np.zeros((0, 3), np.float32)), ValueError, "weight must have Cout >= 1"),
    (dict(weight=np.zeros((3, 0), np.float32)), ValueError, "weight"),
    (dict(bias=np.zeros(4, np.float64)), TypeError, "bias must have dtype float32"),
    (dict(bias=np.zeros(3, np.float32)), ValueError, "bias must have shape"),
    (dict(bias=np.zeros((4, 1), np.float32)), ValueError, "bias"),
    (dict(output_min=1.0, output_max=0.0), ValueError, "output_min"),
    (dict(output_min=float("nan")), ValueError, "output_min"),
    (dict(output_max=float("nan")), ValueError, "output_max"),
    (dict(output_max="6"), TypeError, "output_max"),
    (dict(output_min=True), TypeError, "output_min"),
    (dict(mode="fast"), ValueError, "mode"),
    (dict(mode=None), ValueError, "mode"),
])
def test_bad_constructor_arguments(kwargs, exc, match):
    args = dict(weight=W0)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        qk.SparseConv1x1(args.pop("weight"), **args)


X0 = np.zeros((3, 2, 2), np.float32)


@pytest.mark.parametrize("mode", ["sparse", "dense"])
@pytest.mark.parametrize("args,exc,match", [
    (dict(x=X0.astype(np.float64)), TypeError, "x must have dtype float32"),
    (dict(x="x"), TypeError, "x"),
    (dict(x=np.zeros((3, 4), np.float32)), ValueError, "x must have 3..4 dimensions"),
    (dict(x=np.zeros((1, 1, 3, 2, 2), np.float32)), ValueError, "x must have"),
    (dict(x=np.zeros((4, 2, 2), np.float32)), ValueError, "x must have 3 channels"),
    (dict(x=np.zeros((2, 2, 2, 2), np.float32)), ValueError, "x must have 3 channels"),
    (dict(out=np.zeros((4, 2, 2), np.float64)), TypeError, "out must have dtype"),
    (dict(out=np.zeros((4, 2, 3), np.float32)), ValueError, "out must have shape"),
    (dict(out=np.zeros((4, 2, 4), np.float32)[:, :, ::2]), ValueError, "C-contiguous"),
    (dict(out=[0.0]), TypeError, "out"),
    (dict(threads=0), ValueError, "threads"),
    (dict(threads=1.5), TypeError, "threads"),
    (dict(kernel="no_such_kernel"), ValueError, "does not run"),
    (dict(kernel=3), TypeError, "kernel"),
])
def test_bad_call_arguments(mode, args, exc, match):
    op = qk.SparseConv1x1(W0, mode=mode)
    args = dict(args)
    x = args.pop("x", X0)
    with pytest.raises(exc, match=match):
        op(x, **args)


def test_out_aliasing_rejected():
    op = qk.SparseConv1x1(np.eye(3, dtype=np.float32))
    x = np.zeros((3, 2, 2), np.float32)
    with pytest.raises(ValueError, match="share memory"):
        op(x, out=x)


def test_crossover_constant_documented():
    assert 0.0 < qsparse.SPARSE_CROSSOVER < 1.0
    assert f"SPARSE_CROSSOVER = {qsparse.SPARSE_CROSSOVER}" in qk.SparseConv1x1.__doc__


# ---- fuzzed bad input: works and equals the reference, or TypeError/ValueError naming the argument ----

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_ARGS = ("weight", "bias", "x", "out", "threads", "output_min", "output_max", "mode")
_FUZZ = {"calls": 0}
_ODD = st.sampled_from([None, "x", object(), [1.0, 2.0], True, 3, float("nan"), float("inf")])


def _fuzz_array(draw, dtypes, max_ndim):
    dt = np.dtype(draw(st.sampled_from(dtypes)))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=max_ndim)))
    arr = (np.arange(int(np.prod(shape)), dtype=np.float64) % 5 - 2).astype(dt).reshape(shape)
    if draw(st.booleans()) and arr.ndim:
        arr = np.repeat(arr, 2, axis=-1)[..., ::2]  # strided view
    return arr


@st.composite
def _case(draw):
    """A valid (weight, bias, x) most of the time, with one part broken now and then."""
    cout, cin, n, h, w_ = (draw(st.integers(1, 6)) for _ in range(5))
    weight = np.where(np.arange(cout * cin).reshape(cout, cin) % 3 == 0, 0.5, 0.0).astype(np.float32)
    bias = np.arange(cout, dtype=np.float32) if draw(st.booleans()) else None
    x = (np.arange(n * cin * h * w_) % 7 - 3).astype(np.float32).reshape(n, cin, h, w_)
    if draw(st.booleans()):
        x = x[0]
    broken = draw(st.sampled_from(["none", "none", "weight", "bias", "x"]))
    if broken == "weight":
        weight = draw(_ODD) if draw(st.booleans()) else _fuzz_array(draw, ["float32", "float64", "int8"], 3)
    elif broken == "bias":
        bias = draw(_ODD) if draw(st.booleans()) else _fuzz_array(draw, ["float32", "int32"], 2)
    elif broken == "x":
        x = draw(_ODD) if draw(st.booleans()) else _fuzz_array(draw, ["float32", "float64"], 5)
    return weight, bias, x


@settings(max_examples=scaled(300, 40), deadline=None, suppress_health_check=list(HealthCheck))
@given(case=_case(),
       lo=st.one_of(st.sampled_from([-np.inf, -np.inf, 0.0, -1.0, 2.0, np.nan]), _ODD),
       hi=st.one_of(st.sampled_from([np.inf, np.inf, 6.0, 0.5, -3.0]), _ODD),
       mode=st.sampled_from(["auto", "sparse", "dense", "fast", None]),
       threads=st.one_of(st.none(), st.integers(-2, 300), st.sampled_from([1.5, "2"])),
       out_kind=st.sampled_from([None, "right", "wrong_dtype", "wrong_shape", "readonly", "alias"]))
def test_fuzz_sparse_conv1x1(case, lo, hi, mode, threads, out_kind):
    weight, bias, x = case
    _FUZZ["calls"] += 1
    try:
        op = qk.SparseConv1x1(weight, bias, output_min=lo, output_max=hi, mode=mode)
        out = None
        if out_kind is not None and isinstance(x, np.ndarray) and x.ndim >= 3:
            shape = x.shape[:-3] + (op.out_channels,) + x.shape[-2:]
            out = {"right": lambda: np.empty(shape, np.float32), "wrong_dtype": lambda: np.empty(shape),
                   "wrong_shape": lambda: np.empty(shape + (1,), np.float32),
                   "readonly": lambda: np.empty(shape, np.float32), "alias": lambda: x}[out_kind]()
            if out_kind == "readonly":
                out.setflags(write=False)
        got = op(x, out=out, threads=threads)
    except Exception as e:  # noqa: BLE001 - the contract is about which exceptions
        assert isinstance(e, (TypeError, ValueError)), repr(e)
        assert any(a in str(e) for a in _ARGS), f"message names no argument: {e}"
        return
    want = reference.sparse_conv1x1(x, weight, bias, lo, hi)
    assert got.shape == want.shape and got.dtype == np.float32
    assert_close(got, want, magnitude(x, weight, bias), f"fuzz {op.path}")  # finite inputs: both paths
    _FUZZ["ok"] = _FUZZ.get("ok", 0) + 1


def test_fuzz_counted():
    assert _FUZZ["calls"] >= scaled(300, 40) * 0.9
    assert _FUZZ.get("ok", 0) >= 1  # some fuzzed calls were valid and checked against the reference
