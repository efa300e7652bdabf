"""Glue operators: qk.Add (quantized), qk.GlobalAvgPool2d, qk.AddF32.

Every usable variant of each family is compared with the numpy reference
(which the scalar twin must equal too) bit for bit; the reference itself is
checked against an independent integer port of TFLite's ADD and against
hand-derived values."""
import concurrent.futures
import math
import pickle

import numpy as np
import pytest

import qkernels as qk
from qkernels import _ext, reference
from conftest import scaled

DTYPES = ["int8", "uint8"]


def prefix(dtype):
    return "qs8" if np.dtype(dtype) == np.int8 else "qu8"


def rand_q(rng, shape, dtype):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


def zero_points(dtype):
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    return [0 if dtype == "int8" else 128, lo, hi, (lo + hi) // 2 + 7]


def clamps(dtype):
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    return [(None, None), (lo + 10, hi - 3), (0, 6) if dtype == "int8" else (128, 134), (hi - 1, hi)]


# ------------------------------------------------------------------ Add

# (s1, s2, s_out): equal, each input larger, extreme ratios both ways, output
# scale far below and above the inputs.
ADD_SCALES = [(0.05, 0.05, 0.05), (0.1, 0.025, 0.07), (0.0123, 0.4, 0.3), (1.0, 1e-6, 0.5),
              (3e-7, 2.0, 1.5), (0.02, 0.03, 1e-6 * 2**-1), (0.02, 0.03, 50.0), (0.5, 0.5, 1e-3),
              (0.007843137718737125, 0.003921568859368563, 0.011764707043766975)]  # float32 values, as in a model


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_every_variant_matches_reference(dtype, rng):
    fam = prefix(dtype) + "_vadd"
    names = _ext.variants(fam)
    assert names and names[-1].endswith("__scalar")
    sizes = list(range(0, 71)) + [scaled(5003, 611)]
    checked = 0
    for s1, s2, so in ADD_SCALES:
        for zp1 in zero_points(dtype):
            for zpo, (qmin, qmax) in zip(zero_points(dtype), clamps(dtype)):
                zp2 = int(rng.choice(zero_points(dtype)))
                n = int(rng.choice(sizes))
                a, b = rand_q(rng, n, dtype), rand_q(rng, n, dtype)
                want = reference.add_quantized(a, b, s1, zp1, s2, zp2, so, zpo, qmin, qmax)
                op = qk.Add(s1, zp1, s2, zp2, so, zpo, dtype=dtype, output_min=qmin, output_max=qmax)
                for name in names:
                    got = op._run(a, b, None, 1, name)
                    np.testing.assert_array_equal(got, want, err_msg=f"{name} {s1} {s2} {so} {zp1} {zp2} {zpo} n={n}")
                    checked += 1
    assert checked == len(ADD_SCALES) * 16 * len(names)


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_every_tail_length(dtype, rng):
    """n = 0..70 on every variant (tails and several whole 16-element steps), extremes included."""
    info = np.iinfo(dtype)
    op = qk.Add(0.031, zero_points(dtype)[3], 0.017, info.min, 0.045, info.max, dtype=dtype)
    for n in range(71):
        a, b = rand_q(rng, n, dtype), rand_q(rng, n, dtype)
        a[: n // 3] = info.min
        b[n // 2:] = info.max
        want = reference.add_quantized(a, b, 0.031, zero_points(dtype)[3], 0.017, info.min, 0.045, info.max)
        for name in _ext.variants(prefix(dtype) + "_vadd"):
            np.testing.assert_array_equal(op._run(a, b, None, 1, name), want, err_msg=f"{name} n={n}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_all_input_pairs(dtype):
    """Every (a, b) byte pair, for a few parameter sets: the whole input domain."""
    info = np.iinfo(dtype)
    v = np.arange(info.min, info.max + 1)
    a = np.repeat(v, v.size).astype(dtype)
    b = np.tile(v, v.size).astype(dtype)
    for s1, s2, so in ADD_SCALES[1:4] + ADD_SCALES[-1:]:
        zps = zero_points(dtype)
        want = reference.add_quantized(a, b, s1, zps[1], s2, zps[2], so, zps[3])
        op = qk.Add(s1, zps[1], s2, zps[2], so, zps[3], dtype=dtype)
        for name in _ext.variants(prefix(dtype) + "_vadd"):
            np.testing.assert_array_equal(op._run(a, b, None, None, name), want, err_msg=f"{name} {s1} {s2} {so}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_kernels_equal_scalar_for_any_parameters(dtype, rng):
    """The C kernels accept any Q31 multipliers and shifts, not only TFLite's: every variant
    equals the scalar twin for random (multiplier, shift) triples, the special (2^30, 0) input
    multiplier (SIMD shortcut) on either, both or no input, and the extremes of both."""
    fam = prefix(dtype) + "_vadd"
    names = _ext.variants(fam)
    info = np.iinfo(dtype)
    specials = [(1 << 30, 0), (2**31 - 1, 0), (0, 0), (2**31 - 1, 31), (1 << 30, 1), (1 << 30, 31)]
    n = scaled(1000, 300)
    for trial in range(scaled(120, 40)):
        pick = []
        for _ in range(3):
            if rng.random() < 0.4:
                pick.append(specials[int(rng.integers(len(specials)))])
            else:
                pick.append((int(rng.integers(0, 2**31)), int(rng.integers(0, 32))))
        zps = [int(rng.integers(info.min, info.max, endpoint=True)) for _ in range(3)]
        qmin, qmax = sorted(int(v) for v in rng.integers(info.min, info.max, size=2, endpoint=True))
        m = trial % 71 + (n if trial % 2 else 0)
        a, b = rand_q(rng, m, dtype), rand_q(rng, m, dtype)
        results = []
        for name in names:
            out = np.empty(m, dtype)
            _ext.vadd(fam, a.view(np.uint8), b.view(np.uint8), out.view(np.uint8), zps[0], pick[0][0], pick[0][1],
                      zps[1], pick[1][0], pick[1][1], pick[2][0], pick[2][1], zps[2], qmin, qmax, 1, name)
            results.append(out)
        # the scalar twin itself is the integer formula (checked independently via the reference)
        s1 = reference.rdbpot(reference.srdhm((a.astype(np.int64) - zps[0]) << 20, pick[0][0]), pick[0][1])
        s2 = reference.rdbpot(reference.srdhm((b.astype(np.int64) - zps[1]) << 20, pick[1][0]), pick[1][1])
        want = np.clip(reference.rdbpot(reference.srdhm(s1 + s2, pick[2][0]), pick[2][1]) + zps[2], qmin, qmax)
        for name, got in zip(names, results):
            np.testing.assert_array_equal(got, want, err_msg=f"{name} params={pick} zps={zps} m={m}")


def _tflite_quantize_multiplier_smaller_than_one(real):
    """Independent port of TFLite QuantizeMultiplier (C++ std::frexp/std::round), for reals in (0, 1)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = math.floor(q * (1 << 31) + 0.5)  # std::round, q > 0; exact: q * 2^31 < 2^31 has ulp >= 2^-22
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    assert shift <= 0
    return q_fixed, shift  # left shift <= 0


def _tflite_srdhm(a, b):
    overflow = a == b == -(2**31)
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    s = ab + nudge
    q = abs(s) // (1 << 31) * (1 if s >= 0 else -1)  # C++ integer division truncates
    return 2**31 - 1 if overflow else q


def _tflite_rdbpot(x, exponent):
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def _tflite_add(a, b, s1, zp1, s2, zp2, so, zpo, qmin, qmax):
    """Element by element, TFLite's Prepare + AddFunc with Python integers."""
    left_shift = 20
    twice_max = 2 * max(s1, s2)
    m1, sh1 = _tflite_quantize_multiplier_smaller_than_one(s1 / twice_max)
    m2, sh2 = _tflite_quantize_multiplier_smaller_than_one(s2 / twice_max)
    mo, sho = _tflite_quantize_multiplier_smaller_than_one(twice_max / ((1 << left_shift) * so))
    out = []
    for x, y in zip(a.tolist(), b.tolist()):
        v1 = _tflite_rdbpot(_tflite_srdhm((x - zp1) * (1 << left_shift), m1), -sh1)
        v2 = _tflite_rdbpot(_tflite_srdhm((y - zp2) * (1 << left_shift), m2), -sh2)
        raw = _tflite_rdbpot(_tflite_srdhm(v1 + v2, mo), -sho) + zpo
        out.append(min(qmax, max(qmin, raw)))
    return np.array(out)


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_reference_is_tflite(dtype, rng):
    """reference.add_quantized (and so every kernel) equals a literal port of TFLite's integer code."""
    n = scaled(400, 120)
    for s1, s2, so in ADD_SCALES:
        zps = [int(rng.choice(zero_points(dtype))) for _ in range(3)]
        qmin, qmax = clamps(dtype)[int(rng.integers(4))]
        info = np.iinfo(dtype)
        qmin = info.min if qmin is None else qmin
        qmax = info.max if qmax is None else qmax
        a, b = rand_q(rng, n, dtype), rand_q(rng, n, dtype)
        want = _tflite_add(a, b, s1, zps[0], s2, zps[1], so, zps[2], qmin, qmax)
        np.testing.assert_array_equal(reference.add_quantized(a, b, s1, zps[0], s2, zps[1], so, zps[2], qmin, qmax),
                                      want)
        got = qk.Add(s1, zps[0], s2, zps[1], so, zps[2], dtype=dtype, output_min=qmin, output_max=qmax)(a, b)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_equal_scales_is_exact_integer_addition(dtype):
    """s1 = s2 = s_out, zero points 0/128: the fixed point chain is exact, y = sat(a + b - zp)."""
    info = np.iinfo(dtype)
    zp = 0 if dtype == "int8" else 128
    v = np.arange(info.min, info.max + 1)
    a = np.repeat(v, v.size).astype(dtype)
    b = np.tile(v, v.size).astype(dtype)
    want = np.clip(a.astype(np.int64) + b.astype(np.int64) - zp, info.min, info.max)
    got = qk.Add(0.1, zp, 0.1, zp, 0.1, zp, dtype=dtype)(a, b)
    np.testing.assert_array_equal(got, want)


def test_add_params_match_tflite_prepare():
    # s1 = s2: both real input multipliers are 1/2 -> (2^30, shift 0); output 2^-19 -> (2^30, 18)
    assert reference.add_params(0.1, 0.1, 0.1) == ((1 << 30, 0), (1 << 30, 0), (1 << 30, 18))
    (m1, e1), (m2, e2), _ = reference.add_params(0.4, 0.1, 1.0)
    assert (m1, e1) == (1 << 30, 0) and (m2, e2) == (1 << 30, 2)  # 0.125 = 0.5 * 2^-2


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_shapes_strides_out_threads(dtype, rng):
    a = rand_q(rng, (3, 17, 9, 5), dtype)
    b = rand_q(rng, (3, 17, 9, 5), dtype)
    op = qk.Add(0.02, 3, 0.05, 7, 0.06, 1, dtype=dtype)
    want = reference.add_quantized(a, b, 0.02, 3, 0.05, 7, 0.06, 1)
    np.testing.assert_array_equal(op(a, b), want)
    av, bv = a[:, ::2, :, 1:], np.asfortranarray(b)[:, ::2, :, 1:]
    np.testing.assert_array_equal(op(av, bv), want[:, ::2, :, 1:])
    out = np.empty(a.shape, dtype)
    assert op(a, b, out=out) is out
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(op(a, a), reference.add_quantized(a, a, 0.02, 3, 0.05, 7, 0.06, 1))
    assert op(a[0, 0, 0, 0], b[0, 0, 0, 0]).shape == ()
    assert op(a[:0], b[:0]).shape == (0, 17, 9, 5)
    big_a, big_b = rand_q(rng, scaled(300_007, 40_007), dtype), rand_q(rng, scaled(300_007, 40_007), dtype)
    one = op(big_a, big_b, threads=1)
    np.testing.assert_array_equal(one, reference.add_quantized(big_a, big_b, 0.02, 3, 0.05, 7, 0.06, 1))
    for t in (2, 3, 8):
        np.testing.assert_array_equal(op(big_a, big_b, threads=t), one)


# ------------------------------------------------------------------ GlobalAvgPool2d

MODES = ["fp32", "gemmlowp"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_gavgpool_every_variant_matches_reference(dtype, mode, rng):
    fam = prefix(dtype) + "_gavgpool"
    names = _ext.variants(fam)
    assert names and names[-1].endswith("__scalar")
    spatial = [(1, 1), (1, 2), (7, 7), (3, 5), (1, 127), (128, 1), (3, 43), (16, 16), (1, 300)]
    channels = list(range(0, 71)) + [scaled(1024, 160), 1280]
    scales = [(0.1, 0.05), (0.02, 0.02), (0.5, 0.001), (1e-4, 0.3)]
    checked = 0
    for h, w in spatial:
        for si, so in scales:
            for zpi, zpo, (qmin, qmax) in zip(zero_points(dtype), zero_points(dtype)[::-1], clamps(dtype)):
                real = si / (so * h * w)
                if real >= (0.99 if mode == "gemmlowp" else 255.0):
                    continue  # out of the mode's multiplier range; covered by the error tests
                c = int(rng.choice(channels))
                n = int(rng.integers(1, 4))
                x = rand_q(rng, (n, h, w, c), dtype)
                want = reference.global_avg_pool2d(x, si, zpi, so, zpo, qmin, qmax, mode)
                op = qk.GlobalAvgPool2d(si, zpi, so, zpo, dtype, qmin, qmax, requantization=mode)
                for name in names:
                    got = op._run(x, None, 1, name)
                    np.testing.assert_array_equal(got, want, err_msg=f"{name} {h}x{w}x{c} {si} {so} {zpi} {zpo}")
                    checked += 1
    assert checked >= len(spatial) * len(scales) * 4 * len(names) // 2


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_gavgpool_every_channel_count(dtype, mode, rng):
    """C = 0..70 (16-channel blocks and every tail) at a spatial size that spans two 128-row blocks."""
    op = qk.GlobalAvgPool2d(0.3, zero_points(dtype)[3], 0.01, zero_points(dtype)[0], dtype, requantization=mode)
    for c in range(71):
        x = rand_q(rng, (2, 13, 11, c), dtype)
        want = reference.global_avg_pool2d(x, 0.3, zero_points(dtype)[3], 0.01, zero_points(dtype)[0],
                                           requantization=mode)
        for name in _ext.variants(prefix(dtype) + "_gavgpool"):
            np.testing.assert_array_equal(op._run(x, None, 1, name), want, err_msg=f"{name} c={c}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_gavgpool_sum_is_exact_at_the_row_limit(dtype):
    """Constant extreme inputs: |acc| = 255 * H*W, up to 2^31 - 2^23 at the row limit, must not wrap.

    input_scale / (output_scale * H*W) = 1 / (2.55 H*W) maps acc = +-255 H*W to
    exactly +-100 in both modes, so any lost bit of the sum shows."""
    info = np.iinfo(dtype)
    for rows, c in ((scaled(qk.glue.MAX_POOL_ROWS, 1 << 18), 1), (scaled(1 << 19, 1 << 14), 16)):
        for value, zpi, expect in ((info.max, info.min, 100), (info.min, info.max, -100)):
            x = np.full((1, rows, 1, c), value, dtype)
            zpo = 0 if dtype == "int8" else 128
            for mode in MODES:
                op = qk.GlobalAvgPool2d(1.0, zpi, 2.55, zpo, dtype, requantization=mode)
                for name in _ext.variants(prefix(dtype) + "_gavgpool"):
                    got = op._run(x, None, None, name)
                    np.testing.assert_array_equal(got, np.full((1, c), expect + zpo), err_msg=f"{name} {mode} {rows}")
        small = rand_q(np.random.default_rng(rows), (2, 3, 5, c), dtype)  # the reference agrees on the formula
        np.testing.assert_array_equal(reference.global_avg_pool2d(np.full((1, 4, 1, c), info.max, dtype), 1.0, info.min,
                                                                  2.55, 0 if dtype == "int8" else 128),
                                      np.full((1, c), 100 + (0 if dtype == "int8" else 128)))
        np.testing.assert_array_equal(qk.GlobalAvgPool2d(1.0, 0, 2.55, 0, dtype)(small),
                                      reference.global_avg_pool2d(small, 1.0, 0, 2.55, 0))


def test_gavgpool_known_values():
    # mean of 1..4 = 2.5; scales equal -> fp32 rounds half to even (2), gemmlowp away from zero (3)
    x = np.array([1, 2, 3, 4], np.int8).reshape(1, 2, 2, 1)
    assert qk.GlobalAvgPool2d(1.0, 0, 1.0, 0, "int8")(x).tolist() == [[2]]
    assert qk.GlobalAvgPool2d(1.0, 0, 1.0, 0, "int8", requantization="gemmlowp")(x).tolist() == [[3]]
    x = np.array([10, 20, 30, 40, 50, 60], np.uint8).reshape(3, 1, 2)
    got = qk.GlobalAvgPool2d(0.5, 10, 0.25, 100, "uint8")(x)  # [H, W, C] -> [C]
    assert got.shape == (2,)
    assert got.tolist() == [100 + 2 * 20, 100 + 2 * 30]


@pytest.mark.parametrize("dtype", DTYPES)
def test_gavgpool_layouts_out_threads(dtype, rng):
    x = rand_q(rng, (4, 9, 10, 200), dtype)
    op = qk.GlobalAvgPool2d(0.1, 5, 0.07, -3 if dtype == "int8" else 3, dtype, output_min=None, output_max=None)
    want = reference.global_avg_pool2d(x, 0.1, 5, 0.07, -3 if dtype == "int8" else 3)
    np.testing.assert_array_equal(op(x), want)
    np.testing.assert_array_equal(op(x[1]), want[1])
    xs = x[:, ::2, 1:, ::3]
    np.testing.assert_array_equal(op(xs), reference.global_avg_pool2d(xs, 0.1, 5, 0.07, -3 if dtype == "int8" else 3))
    out = np.empty((4, 200), dtype)
    assert op(x, out=out) is out
    np.testing.assert_array_equal(out, want)
    assert op(x[:0]).shape == (0, 200)
    assert op(x[..., :0]).shape == (4, 0)
    big = rand_q(rng, (scaled(6, 2), 56, 56, scaled(128, 48)), dtype)
    one = op(big, threads=1)
    np.testing.assert_array_equal(one, reference.global_avg_pool2d(big, 0.1, 5, 0.07, -3 if dtype == "int8" else 3))
    for t in (2, 3, 8):
        np.testing.assert_array_equal(op(big, threads=t), one)


# ------------------------------------------------------------------ AddF32

def _f32_equal(got, want, msg=""):
    """Same bits, except that NaN payloads may differ between ISAs."""
    assert got.dtype == np.float32 and got.shape == want.shape, msg
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan, err_msg=msg)
    np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32), err_msg=msg)


def _ftz(x):
    """armv7 NEON's flush-to-zero: a subnormal becomes a zero of the same sign.
    On the bits: numpy's own float32 comparisons flush on armv7 too."""
    u = np.array(x, np.float32).view(np.uint32)
    sub = ((u & 0x7F800000) == 0) & ((u & 0x007FFFFF) != 0)
    return np.where(sub, u & 0x80000000, u).astype(np.uint32).view(np.float32)


def _add_f32_expected(got, a, b, lo, hi):
    """reference.add_f32, except where armv7 NEON computed the element (the
    documented flush-to-zero, qk.AddF32): there the flushed models -- inputs
    and sum flushed, the bounds returned as given and compared flushed (the
    architecture) or not (QEMU 7.2's NEON compares) -- are accepted too.  The
    scalar tail of the NEON kernel does not flush, so the choice is per
    element: each got element must be bit-equal to one of the models."""
    want = reference.add_f32(a, b, lo, hi)
    if _ext.arch() != "armv7":
        return want
    g = np.asarray(got, np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        s = _ftz(_ftz(a) + _ftz(b))
        flo, fhi = np.float32(lo), np.float32(hi)
    for cmp in (_ftz, lambda v: np.float32(v) if np.ndim(v) == 0 else np.asarray(v, np.float32)):
        with np.errstate(invalid="ignore"):
            x = np.where(cmp(flo) > s, flo, s).astype(np.float32)
            y = np.where(cmp(fhi) < cmp(x), fhi, x).astype(np.float32)
        same = (g.view(np.uint32) == y.view(np.uint32)) | (np.isnan(g) & np.isnan(y))
        want = np.where(same, y, want).astype(np.float32)
    return want


F32_CLAMPS = [(-math.inf, math.inf), (0.0, math.inf), (0.0, 6.0), (-1.5, 0.25), (-0.0, 0.0), (2.0, 2.0)]


def _f32_inputs(rng, n):
    a = (rng.standard_normal(n) * 3).astype(np.float32)
    b = (rng.standard_normal(n) * 3).astype(np.float32)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 6.0, -1.5, 1e30, -0.0, 3.0], np.float32)
    k = min(n, special.size)
    a[:k] = special[:k]
    b[:k] = special[::-1][:k]  # -0 + -0 = -0, inf + -inf = NaN, ...
    return a, b


def test_addf32_every_variant_matches_reference(rng):
    names = _ext.variants("f32_vadd")
    assert names and names[-1].endswith("__scalar")
    for lo, hi in F32_CLAMPS:
        op = qk.AddF32(lo, hi)
        for n in list(range(0, 71)) + [scaled(10_007, 1_007)]:
            a, b = _f32_inputs(rng, n)
            want = reference.add_f32(a, b, lo, hi)
            for name in names:
                _f32_equal(op._run(a, b, None, 1, name), want, f"{name} n={n} clamp=({lo}, {hi})")


def test_addf32_subnormals_exact_or_flushed_on_armv7():
    """Subnormal inputs, sums and bounds: every variant returns the reference's
    bits; only armv7 NEON may flush (per element, its vector part)."""
    tiny = np.finfo(np.float32).tiny
    sub = np.array([tiny / 2, -tiny / 4, tiny * 0.75, 1e-45], np.float32)
    a = np.concatenate([sub, -sub, np.zeros(4, np.float32), sub, [tiny, -tiny, 1.0]]).astype(np.float32)
    b = np.concatenate([np.zeros(4, np.float32), sub, sub, -sub[::-1], [-tiny / 2, tiny / 2, 1e-45]]).astype(np.float32)
    for lo, hi in [(-math.inf, math.inf), (float(tiny / 8), math.inf), (-math.inf, float(-tiny / 8))]:
        for name in _ext.variants("f32_vadd"):
            got = qk.AddF32(lo, hi)._run(a, b, None, 1, name)
            want = reference.add_f32(a, b, lo, hi)
            if _ext.arch() == "armv7" and "neon" in name:
                want = _add_f32_expected(got, a, b, lo, hi)
            _f32_equal(got, want, f"{name} clamp=({lo}, {hi})")
            assert np.count_nonzero(reference.add_f32(a, b, lo, hi)) > 10  # the case has subnormal results


def test_addf32_values_and_signed_zeros():
    a = np.array([1.0, -0.0, -3.0, 7.0, np.nan, 0.5], np.float32)
    b = np.array([2.0, -0.0, 1.0, 0.0, 1.0, -0.5], np.float32)
    for name in _ext.variants("f32_vadd"):
        got = qk.AddF32(0.0, 6.0)._run(a, b, None, None, name)
        assert got[[0, 2, 3, 5]].tolist() == [3.0, 0.0, 6.0, 0.0]
        assert np.signbit(got[1]) and got[1] == 0  # -0 is not below the bound 0: kept
        assert np.isnan(got[4])


def test_addf32_layouts_out_threads(rng):
    a = rng.standard_normal((2, 16, 13, 11)).astype(np.float32)
    b = rng.standard_normal((2, 16, 13, 11)).astype(np.float32)
    op = qk.AddF32(output_min=-0.5)
    want = reference.add_f32(a, b, -0.5)
    _f32_equal(op(a, b), want)
    _f32_equal(op(a[:, ::2], b[:, ::2]), want[:, ::2])
    out = np.empty(a.shape, np.float32)
    assert op(a, b, out=out) is out
    _f32_equal(out, want)
    big_a = rng.standard_normal(scaled(500_003, 50_003)).astype(np.float32)
    big_b = rng.standard_normal(big_a.size).astype(np.float32)
    one = op(big_a, big_b, threads=1)
    for t in (2, 3, 8):
        _f32_equal(op(big_a, big_b, threads=t), one)


# ------------------------------------------------------------------ operator contract

def _ops():
    return [qk.Add(0.02, 3, 0.05, 7, 0.06, 1, dtype="int8", output_min=-100, output_max=90),
            qk.Add(0.02, 130, 0.05, 7, 0.06, 200, dtype="uint8"),
            qk.GlobalAvgPool2d(0.1, 5, 0.07, 3, "uint8", requantization="gemmlowp"),
            qk.GlobalAvgPool2d(0.1, -5, 0.07, 3, "int8", output_min=0),
            qk.AddF32(0.0, 6.0), qk.AddF32()]


def _call(op, rng):
    if isinstance(op, qk.GlobalAvgPool2d):
        x = rand_q(rng, (2, 5, 6, 33), op.dtype)
        return op(x), (x,)
    if isinstance(op, qk.AddF32):
        a, b = rng.standard_normal((2, 3, 41)).astype(np.float32), rng.standard_normal((2, 3, 41)).astype(np.float32)
        return op(a, b), (a, b)
    a, b = rand_q(rng, (5, 37), op.dtype), rand_q(rng, (5, 37), op.dtype)
    return op(a, b), (a, b)


@pytest.mark.parametrize("i", range(6))
def test_operators_pickle_immutable_repr(i, rng):
    op = _ops()[i]
    y, args = _call(op, rng)
    clone = pickle.loads(pickle.dumps(op))
    assert type(clone) is type(op) and repr(clone) == repr(op)
    np.testing.assert_array_equal(clone(*args), y)
    with pytest.raises(AttributeError):
        op.dtype = np.int16
    with pytest.raises(AttributeError):
        del op.kernel
    assert op.kernel in _ext.variants(op._family if hasattr(op, "_family") else "f32_vadd")


def test_operators_from_several_threads(rng):
    """One operator object, many Python threads at once (the GIL is released in the kernels)."""
    ops = _ops()
    inputs = []
    for op in ops:
        _, args = _call(op, rng)
        inputs.append(args)
    want = [op(*args) for op, args in zip(ops, inputs)]

    def work(k):
        j = k % len(ops)
        return j, ops[j](*inputs[j], threads=1 + k % 3)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        for j, got in pool.map(work, range(scaled(120, 24))):
            np.testing.assert_array_equal(got, want[j])


ADD_OK = dict(input1_scale=0.1, input1_zero_point=0, input2_scale=0.2, input2_zero_point=0, output_scale=0.3,
              output_zero_point=0, dtype="int8")


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(dtype="int16"), TypeError, "dtype"),
    (dict(dtype=np.float32), TypeError, "dtype"),
    (dict(input1_scale=0.0), ValueError, "input1_scale"),
    (dict(input2_scale=float("nan")), ValueError, "input2_scale"),
    (dict(output_scale=-1.0), ValueError, "output_scale"),
    (dict(output_scale="1"), TypeError, "output_scale"),
    (dict(output_scale=1e-9), ValueError, "output_scale .* too small"),
    (dict(input1_zero_point=128), ValueError, "input1_zero_point"),
    (dict(input2_zero_point=-129), ValueError, "input2_zero_point"),
    (dict(output_zero_point=0.5), TypeError, "output_zero_point"),
    (dict(dtype="uint8", input1_zero_point=-1), ValueError, "input1_zero_point"),
    (dict(output_min=5, output_max=4), ValueError, "output_min"),
    (dict(output_max=128), ValueError, "output_max"),
])
def test_add_constructor_errors(kwargs, exc, match):
    args = dict(ADD_OK, **kwargs)
    with pytest.raises(exc, match=match):
        qk.Add(**args)


@pytest.mark.parametrize("call,exc,match", [
    (lambda op: op(np.zeros(3, np.uint8), np.zeros(3, np.int8)), TypeError, "a must have dtype int8"),
    (lambda op: op(np.zeros(3, np.int8), np.zeros(3, np.int32)), TypeError, "b must have dtype int8"),
    (lambda op: op(np.zeros(3, np.int8), np.zeros(4, np.int8)), ValueError, "same shape"),
    (lambda op: op(np.zeros((3, 1), np.int8), np.zeros((1, 3), np.int8)), ValueError, "broadcasting"),
    (lambda op: op("x", np.zeros(3, np.int8)), TypeError, "a must"),
    (lambda op: op(np.zeros(3, np.int8), np.zeros(3, np.int8), out=np.zeros(3, np.uint8)), TypeError, "out"),
    (lambda op: op(np.zeros(3, np.int8), np.zeros(3, np.int8), out=np.zeros(4, np.int8)), ValueError, "out"),
    (lambda op: op(np.zeros(3, np.int8), np.zeros(3, np.int8), threads=0), ValueError, "threads"),
])
def test_add_call_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call(qk.Add(**ADD_OK))


def test_add_out_aliasing_rejected():
    a = np.zeros(8, np.int8)
    with pytest.raises(ValueError, match="share memory"):
        qk.Add(**ADD_OK)(a, np.zeros(8, np.int8), out=a)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(dtype="float32"), TypeError, "dtype"),
    (dict(input_scale=0), ValueError, "input_scale"),
    (dict(output_scale=math.inf), ValueError, "output_scale"),
    (dict(input_zero_point=300), ValueError, "input_zero_point"),
    (dict(output_zero_point=None), TypeError, "output_zero_point"),
    (dict(output_min=10, output_max=-10), ValueError, "output_min"),
    (dict(requantization="round"), ValueError, "requantization"),
])
def test_gavgpool_constructor_errors(kwargs, exc, match):
    args = dict(input_scale=0.1, input_zero_point=0, output_scale=0.1, output_zero_point=0, dtype="int8")
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        qk.GlobalAvgPool2d(**args)


@pytest.mark.parametrize("op,x,exc,match", [
    (qk.GlobalAvgPool2d(0.1, 0, 0.1, 0), np.zeros((2, 2, 3), np.uint8), TypeError, "x must have dtype int8"),
    (qk.GlobalAvgPool2d(0.1, 0, 0.1, 0), np.zeros((2, 3), np.int8), ValueError, "x must have 3..4 dimensions"),
    (qk.GlobalAvgPool2d(0.1, 0, 0.1, 0), np.zeros((1, 0, 2, 3), np.int8), ValueError, "non-empty spatial"),
    (qk.GlobalAvgPool2d(1.0, 0, 1e-4, 0), np.zeros((1, 2, 3), np.int8), ValueError, "x of shape .* 256"),
    (qk.GlobalAvgPool2d(1.0, 0, 0.1, 0, requantization="gemmlowp"), np.zeros((1, 2, 3), np.int8), ValueError,
     "x of shape .* below 1"),
    (qk.GlobalAvgPool2d(1.0, 0, 1 / 3.0 * (1 - 1e-12), 0, requantization="gemmlowp"), np.zeros((1, 3, 3), np.int8),
     ValueError, "below 1"),
    (qk.GlobalAvgPool2d(1e-30, 0, 1e30, 0), np.zeros((1, 1, 3), np.int8), ValueError, "x of shape"),
])
def test_gavgpool_call_errors(op, x, exc, match):
    with pytest.raises(exc, match=match):
        op(x)


def test_gavgpool_too_many_rows_rejected_without_touching_data():
    x = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), shape=(1, 4097, 2049, 1), strides=(0, 0, 0, 0))
    with pytest.raises(ValueError, match="H\\*W"):
        qk.GlobalAvgPool2d(0.1, 0, 0.1, 0)(x)


def test_gavgpool_out_errors():
    op = qk.GlobalAvgPool2d(0.1, 0, 0.1, 0)
    x = np.zeros((2, 3, 4, 5), np.int8)
    with pytest.raises(ValueError, match="out must have shape"):
        op(x, out=np.zeros((2, 3, 5), np.int8))
    with pytest.raises(TypeError, match="out must have dtype"):
        op(x, out=np.zeros((2, 5), np.uint8))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(output_min=float("nan")), ValueError, "output_min"),
    (dict(output_max="6"), TypeError, "output_max"),
    (dict(output_min=True), TypeError, "output_min"),
    (dict(output_min=1.0, output_max=0.0), ValueError, "output_min"),
])
def test_addf32_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        qk.AddF32(**kwargs)


@pytest.mark.parametrize("call,exc,match", [
    (lambda op: op(np.zeros(3, np.float64), np.zeros(3, np.float32)), TypeError, "a must have dtype float32"),
    (lambda op: op(np.zeros(3, np.float32), np.zeros(2, np.float32)), ValueError, "same shape"),
    (lambda op: op(np.zeros(3, np.float32), np.zeros(3, np.float32), out=np.zeros(3)), TypeError, "out"),
    (lambda op: op(np.zeros(3, np.float32), np.zeros(3, np.float32), threads="2"), TypeError, "threads"),
])
def test_addf32_call_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call(qk.AddF32())


def test_simd_variants_are_built_and_selected():
    """Where the CPU (and QKERNELS_ISA cap) allows SIMD, the glue families run a SIMD variant."""
    info = qk.cpu_info()
    levels = info["isa_levels"]

    def usable(level):
        return level in levels and info["features"][level] and levels.index(level) <= levels.index(info["isa_cap"])

    expect = {}
    if info["arch"] == "x86_64":
        vadd = "avx2" if usable("avx2") else "sse41"
        expect = {"qs8_vadd": vadd, "qu8_vadd": vadd, "qs8_gavgpool": "sse41", "qu8_gavgpool": "sse41",
                  "f32_vadd": "avx2" if usable("avx2") else "sse2"}
    elif info["arch"] in ("aarch64", "armv7"):
        expect = {f: "neon" for f in ("qs8_vadd", "qu8_vadd", "qs8_gavgpool", "qu8_gavgpool", "f32_vadd")}
    for family, level in expect.items():
        want = level if usable(level) else "scalar"
        assert info["kernels"][family].endswith("__" + want), (family, info["kernels"][family])


# ------------------------------------------------------------------ fuzzed bad input

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

FUZZ = settings(max_examples=scaled(120, 25), deadline=None, suppress_health_check=list(HealthCheck))
GLUE_ARGS = ("a ", "b ", "a and b", "x ", "x:", "out", "threads", "dtype", "input1_scale", "input2_scale",
             "output_scale", "input_scale", "input1_zero_point", "input2_zero_point", "input_zero_point",
             "output_zero_point", "output_min", "output_max", "requantization")
BAD_SCALES = st.sampled_from([0.0, -1.0, 1e-30, 1e30, float("nan"), float("inf"), "0.1", None, True, [0.1]])
BAD_ZPS = st.sampled_from([-300, 300, 256, -129, 1.5, "0", None, 2**40, True])
BAD_DTYPES = st.sampled_from(["int16", "float32", None, 7, "bogus", np.int32])
BAD_BOUNDS = st.sampled_from([-300, 300, 1.5, "0", True])
BAD_THREADS = st.sampled_from([0, -1, 10**6, 1.0, "2"])
COUNTS = {"ok": 0, "error": 0}


def _glue_error(e):
    assert isinstance(e, (TypeError, ValueError)), repr(e)
    assert any(name in str(e) for name in GLUE_ARGS), f"message names no argument: {e}"


def _array(data, shape, dtype):
    dt = np.dtype(dtype)
    n = int(np.prod(shape)) if shape else 1
    if dt.kind == "f":
        arr = np.array(data.draw(st.lists(st.floats(width=min(32, dt.itemsize * 8)), min_size=n, max_size=n)),
                       dtype=dt)
    else:
        info = np.iinfo(dt)
        arr = np.array(data.draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=n, max_size=n)),
                       dtype=dt)
    arr = arr.reshape(shape)
    if arr.ndim and data.draw(st.booleans()):
        arr = np.repeat(arr, 2, axis=-1)[..., ::2]  # a strided view
    return arr


def _shape(data, min_rank=0, max_rank=4):
    return tuple(data.draw(st.lists(st.integers(0, 5), min_size=min_rank, max_size=max_rank)))


def _run_fuzz(call, check):
    try:
        got = call()
    except Exception as e:  # noqa: BLE001 - the contract is about which exceptions
        _glue_error(e)
        COUNTS["error"] += 1
        return
    COUNTS["ok"] += 1
    check(got)


# Each example breaks at most one thing (`bad`), so both outcomes are exercised.
@FUZZ
@given(data=st.data(), bad=st.sampled_from([None, None, "scale", "zp", "dtype", "bounds", "array", "shape",
                                            "threads"]))
def test_add_fuzz(data, bad):
    dt = data.draw(st.sampled_from(["int8", "uint8"]))
    lo, hi = np.iinfo(dt).min, np.iinfo(dt).max
    scales = [data.draw(st.floats(1e-3, 1.0)) for _ in range(3)]
    zps = [data.draw(st.integers(lo, hi)) for _ in range(3)]
    qmin, qmax = data.draw(st.sampled_from([(None, None), (lo, hi), (lo + 3, hi - 9), (0, 6) if lo == -128 else (9, 9)]))
    threads, dtype = data.draw(st.sampled_from([None, 1, 3])), dt
    shape = _shape(data)
    a = _array(data, shape, dt)
    b = _array(data, shape, dt)
    k = data.draw(st.integers(0, 2))
    if bad == "scale":
        scales[k] = data.draw(BAD_SCALES)
    elif bad == "zp":
        zps[k] = data.draw(BAD_ZPS)
    elif bad == "dtype":
        dtype = data.draw(BAD_DTYPES)
    elif bad == "bounds":
        qmin, qmax = (data.draw(BAD_BOUNDS), qmax) if k else (qmin, data.draw(BAD_BOUNDS))
    elif bad == "array":
        a, b = (_array(data, shape, data.draw(st.sampled_from(["int32", "float32", "uint8" if dt == "int8" else "int8"]))), b) \
            if k else (a, data.draw(st.sampled_from(["x", None, [1, 2]])))
    elif bad == "shape":
        b = _array(data, _shape(data), dt)
    elif bad == "threads":
        threads = data.draw(BAD_THREADS)
    _run_fuzz(lambda: qk.Add(scales[0], zps[0], scales[1], zps[1], scales[2], zps[2], dtype=dtype,
                             output_min=qmin, output_max=qmax)(a, b, threads=threads),
              lambda got: np.testing.assert_array_equal(
                  got, reference.add_quantized(a, b, scales[0], zps[0], scales[1], zps[1], scales[2], zps[2], qmin,
                                               qmax)))


@FUZZ
@given(data=st.data(), bad=st.sampled_from([None, None, "scale", "zp", "dtype", "bounds", "array", "rank", "mode",
                                            "threads"]))
def test_gavgpool_fuzz(data, bad):
    dt = data.draw(st.sampled_from(["int8", "uint8"]))
    lo, hi = np.iinfo(dt).min, np.iinfo(dt).max
    mode = data.draw(st.sampled_from(["fp32", "gemmlowp"]))
    si, so = data.draw(st.floats(1e-3, 0.1)), data.draw(st.floats(0.1, 1.0))
    zps = [data.draw(st.integers(lo, hi)) for _ in range(2)]
    qmin, qmax = data.draw(st.sampled_from([(None, None), (lo + 3, hi - 9)]))
    threads, dtype = data.draw(st.sampled_from([None, 1, 3])), dt
    x = _array(data, _shape(data, 3, 4), dt)
    k = data.draw(st.integers(0, 1))
    if bad == "scale":
        si, so = (data.draw(BAD_SCALES), so) if k else (si, data.draw(BAD_SCALES))
    elif bad == "zp":
        zps[k] = data.draw(BAD_ZPS)
    elif bad == "dtype":
        dtype = data.draw(BAD_DTYPES)
    elif bad == "bounds":
        qmin, qmax = (data.draw(BAD_BOUNDS), qmax) if k else (qmin, data.draw(BAD_BOUNDS))
    elif bad == "array":
        x = _array(data, x.shape, data.draw(st.sampled_from(["int32", "float32", "uint8" if dt == "int8" else "int8"]))) \
            if k else data.draw(st.sampled_from(["x", None, [1, 2]]))
    elif bad == "rank":
        x = _array(data, data.draw(st.sampled_from([(), (3,), (2, 3), (1, 1, 1, 1, 1)])), dt)
    elif bad == "mode":
        mode = data.draw(st.sampled_from(["FP32", None, "round", 1]))
    elif bad == "threads":
        threads = data.draw(BAD_THREADS)
    _run_fuzz(lambda: qk.GlobalAvgPool2d(si, zps[0], so, zps[1], dtype, qmin, qmax, requantization=mode)(
                  x, threads=threads),
              lambda got: np.testing.assert_array_equal(
                  got, reference.global_avg_pool2d(x, si, zps[0], so, zps[1], qmin, qmax, mode)))


@FUZZ
@given(data=st.data(), bad=st.sampled_from([None, None, "bounds", "array", "shape", "threads"]))
def test_addf32_fuzz(data, bad):
    lo = data.draw(st.one_of(st.floats(allow_nan=False, max_value=0.0), st.just(-math.inf)))
    hi = data.draw(st.one_of(st.floats(allow_nan=False, min_value=0.0), st.just(math.inf)))
    threads = data.draw(st.sampled_from([None, 1, 3]))
    shape = _shape(data)
    a, b = _array(data, shape, np.float32), _array(data, shape, np.float32)
    k = data.draw(st.integers(0, 1))
    if bad == "bounds":
        bound = data.draw(st.sampled_from([float("nan"), "1", True, None, 5.0]))
        lo, hi = (bound, hi) if k else (lo, -abs(float(bound)) if bound == 5.0 else bound)
    elif bad == "array":
        a = _array(data, shape, data.draw(st.sampled_from(["float64", "float16", "int8"]))) if k else "a"
    elif bad == "shape":
        b = _array(data, _shape(data), np.float32)
    elif bad == "threads":
        threads = data.draw(BAD_THREADS)
    _run_fuzz(lambda: qk.AddF32(lo, hi)(a, b, threads=threads),
              lambda got: _f32_equal(got, _add_f32_expected(got, a, b, lo, hi)))


def test_fuzz_reached_both_outcomes():
    # Runs after the fuzzers (pytest keeps file order): calls that succeeded were compared with the
    # reference, calls that failed raised TypeError/ValueError naming an argument.
    assert COUNTS["ok"] >= 10 and COUNTS["error"] >= 10, COUNTS
    print("glue fuzz outcomes:", COUNTS)


# ------------------------------------------------------------------ repeat calls (qkernels._validate.CallCache)

from qkernels import _validate as V  # noqa: E402
from repeat_calls import check_repeat_calls  # noqa: E402


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_add_repeated_calls_fast_path_still_validates(dtype, rng):
    zp = 3 if dtype == "int8" else 130
    op = qk.Add(0.02, zp, 0.05, 7, 0.06, 1, dtype=dtype, output_min=None if dtype == "uint8" else -100)
    a, b = rand_q(rng, (1, 7, 7, 40), dtype), rand_q(rng, (1, 7, 7, 40), dtype)
    want = reference.add_quantized(a, b, 0.02, zp, 0.05, 7, 0.06, 1, None if dtype == "uint8" else -100, None)
    np.testing.assert_array_equal(op(a, b), want)
    np.testing.assert_array_equal(op(a, b), want)  # cached
    with pytest.raises(ValueError, match="same shape"):  # b of another shape after a cached a
        op(a, b[..., :-1])
    np.testing.assert_array_equal(op(a, b, out=b.copy()), want)
    others = [(rand_q(rng, (3, i + 1), dtype), rand_q(rng, (3, i + 1), dtype)) for i in range(V.CALL_CACHE_SIZE + 2)]
    check_repeat_calls(op, (a, b), others, rng)


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("mode", ["fp32", "gemmlowp"])
def test_gavgpool_repeated_calls_fast_path_still_validates(dtype, mode, rng):
    op = qk.GlobalAvgPool2d(0.1, 5, 0.07, 3, dtype, output_min=0, requantization=mode)
    x = rand_q(rng, (2, 7, 7, 48), dtype)
    want = reference.global_avg_pool2d(x, 0.1, 5, 0.07, 3, 0, None, mode)
    np.testing.assert_array_equal(op(x), want)
    np.testing.assert_array_equal(op(x), want)
    np.testing.assert_array_equal(op(x[0]), want[0])  # 3-D
    np.testing.assert_array_equal(op(x[0]), want[0])
    others = [(rand_q(rng, (1, 1 + i, 3, 16), dtype),) for i in range(V.CALL_CACHE_SIZE + 2)]
    check_repeat_calls(op, (x,), others, rng)
