"""Requantization kernels: every variant equals the numpy reference bit for bit."""
import numpy as np
import pytest

import qkernels as qk
from qkernels import _ext, reference
from conftest import scaled

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
FAMILIES = [(d, m) for d in ("int8", "uint8") for m in ("fp32", "gemmlowp")]


def family(dtype, mode):
    return ("qs8" if dtype == "int8" else "qu8") + "_requant_" + mode


def accumulators(rng, n):
    acc = rng.integers(-(2**20), 2**20, size=n, dtype=np.int64)
    # extremes, ties and small values sprinkled in
    special = np.array([INT32_MIN, INT32_MAX, 0, 1, -1, 2**30, -(2**30), 3, -3, 2**24 + 1, -(2**24) - 1])
    k = min(n, special.size)
    acc[:k] = special[:k]
    if n > 2 * k:
        acc[k:2 * k] = rng.integers(INT32_MIN, INT32_MAX, size=k, endpoint=True)
    return acc.astype(np.int32)


SCALES = {"fp32": [1e-9, 2.0**-20, 0.0003, 0.0123, 0.5, 1.0, 3.7, 255.9],
          "gemmlowp": [1e-11, 2.0**-31, 2.0**-20, 0.0003, 0.0123, 0.25, 0.5, 0.999]}


@pytest.mark.parametrize("dtype,mode", FAMILIES)
def test_every_variant_matches_reference(dtype, mode, rng):
    fam = family(dtype, mode)
    names = _ext.variants(fam)
    assert names and names[-1].endswith("__scalar")
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    sizes = list(range(0, scaled(49, 35))) + [scaled(1000, 100)]
    zps = [0, lo, hi, (lo + hi) // 2 + 7]
    clamps = [(None, None), (lo + 10, hi - 3), (0, 6), (hi - 1, hi)]
    checked = 0
    for scale in SCALES[mode]:
        for zp in zps:
            for qmin, qmax in clamps:
                n = int(rng.choice(sizes))
                acc = accumulators(rng, n)
                want = reference.requantize(acc, scale, zp, dtype, qmin, qmax, mode)
                for name in names:
                    got = qk.requantize(acc, scale, zp, dtype, output_min=qmin, output_max=qmax,
                                        requantization=mode, kernel=name)
                    np.testing.assert_array_equal(got, want, err_msg=f"{name} scale={scale} zp={zp} n={n}")
                    checked += 1
    assert checked >= len(SCALES[mode]) * len(zps) * len(clamps)


@pytest.mark.parametrize("dtype,mode", FAMILIES)
def test_every_tail_length(dtype, mode, rng):
    """All n in 0..47 on every variant (tails of the 16-wide SIMD loops)."""
    for name in _ext.variants(family(dtype, mode)):
        for n in range(48):
            acc = accumulators(rng, n)
            want = reference.requantize(acc, 0.013, 3, dtype, requantization=mode)
            got = qk.requantize(acc, 0.013, 3, dtype, requantization=mode, kernel=name)
            np.testing.assert_array_equal(got, want, err_msg=f"{name} n={n}")


def test_rounding_half_to_even_fp32():
    acc = np.array([1, 3, 5, -1, -3, -5, 7], dtype=np.int32)
    for name in _ext.variants("qs8_requant_fp32"):
        got = qk.requantize(acc, 0.5, 0, "int8", kernel=name)
        np.testing.assert_array_equal(got, [0, 2, 2, 0, -2, -2, 4])


def test_rounding_gemmlowp():
    acc = np.array([1, 3, 5, -1, -3, -5, 7], dtype=np.int32)
    for name in _ext.variants("qs8_requant_gemmlowp"):
        # scale 0.5: shift 0, only SaturatingRoundingDoublingHighMul rounds (ties toward +inf)
        got = qk.requantize(acc, 0.5, 0, "int8", requantization="gemmlowp", kernel=name)
        np.testing.assert_array_equal(got, [1, 2, 3, 0, -1, -2, 4])
        # scale 0.25: exact halving, then RoundingDivideByPOT by 2 rounds ties away from zero
        got = qk.requantize(2 * acc, 0.25, 0, "int8", requantization="gemmlowp", kernel=name)
        np.testing.assert_array_equal(got, [1, 2, 3, -1, -2, -3, 4])


def test_multithreaded_equals_single(rng):
    acc = rng.integers(-(2**16), 2**16, size=scaled(200_003, 40_003)).astype(np.int32)
    one = qk.requantize(acc, 0.01, -5, "int8", threads=1)
    for t in (2, 3, 7):
        np.testing.assert_array_equal(qk.requantize(acc, 0.01, -5, "int8", threads=t), one)


def test_shapes_strides_and_out(rng):
    acc = rng.integers(-5000, 5000, size=(6, 9, 4)).astype(np.int32)
    view = acc[:, ::2, 1:]  # non-contiguous input is accepted
    want = reference.requantize(view, 0.05, 10, "uint8")
    np.testing.assert_array_equal(qk.requantize(view, 0.05, 10, "uint8"), want)
    out = np.empty(view.shape, np.uint8)
    assert qk.requantize(view, 0.05, 10, "uint8", out=out) is out
    np.testing.assert_array_equal(out, want)
    assert qk.requantize(np.int32(7), 0.5, 0, "int8").shape == ()


def test_gemmlowp_multiplier_derivation():
    from qkernels import _quant
    assert _quant.quantize_multiplier(0.5) == (1 << 30, 0)
    assert _quant.quantize_multiplier(0.25) == (1 << 30, 1)
    assert _quant.quantize_multiplier(0.75) == (3 << 29, 0)
    assert _quant.quantize_multiplier(2.0**-40) == (0, 0)
    # rounds up to 2^31 -> halved, exponent +1 -> would need a left shift
    with pytest.raises(ValueError, match="below 1"):
        _quant.quantize_multiplier(1 - 2.0**-40)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(acc=np.zeros(3, np.int64)), TypeError, "acc must have dtype int32"),
    (dict(acc=np.zeros(3, np.float32)), TypeError, "acc"),
    (dict(acc="x"), TypeError, "acc"),
    (dict(scale=0.0), ValueError, "scale"),
    (dict(scale=-1.0), ValueError, "scale"),
    (dict(scale=float("nan")), ValueError, "scale"),
    (dict(scale=float("inf")), ValueError, "scale"),
    (dict(scale="a"), TypeError, "scale"),
    (dict(scale=300.0), ValueError, "unsupported combined scale"),
    (dict(scale=1e-50), ValueError, "unsupported combined scale"),
    (dict(scale=1.5, requantization="gemmlowp"), ValueError, "unsupported combined scale"),
    (dict(zero_point=128), ValueError, "zero_point"),
    (dict(zero_point=1.5), TypeError, "zero_point"),
    (dict(dtype="int16"), TypeError, "dtype"),
    (dict(dtype="float32"), TypeError, "dtype"),
    (dict(output_min=5, output_max=4), ValueError, "output_min"),
    (dict(output_max=200), ValueError, "output_max"),
    (dict(requantization="round"), ValueError, "requantization"),
    (dict(threads=0), ValueError, "threads"),
    (dict(threads=-1), ValueError, "threads"),
    (dict(threads=10**6), ValueError, "threads"),
    (dict(out=np.empty(3, np.uint8)), TypeError, "out must have dtype"),
    (dict(out=np.empty(4, np.int8)), ValueError, "out must have shape"),
    (dict(out=np.empty(6, np.int8)[::2]), ValueError, "C-contiguous"),
    (dict(kernel="no_such_kernel"), ValueError, "does not run"),
])
def test_bad_arguments(kwargs, exc, match):
    args = dict(acc=np.arange(3, dtype=np.int32), scale=0.5, zero_point=0, dtype="int8")
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        qk.requantize(args.pop("acc"), args.pop("scale"), args.pop("zero_point"), args.pop("dtype"), **args)


def test_out_aliasing_input_rejected():
    buf = np.zeros(8, np.int32)
    with pytest.raises(ValueError, match="share memory"):
        qk.requantize(buf, 0.5, 0, "int8", out=buf.view(np.int8)[:8])
