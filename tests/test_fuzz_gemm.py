"""Fuzzed construction and calls of qk.Linear / qk.Conv2d: each either works
(and equals qkernels.reference) or raises TypeError/ValueError whose message
names the offending argument.  Never a crash, a hang or silent garbage.

Each example breaks at most two things (an argument's value, a shape, a
dtype, a layout) and draws everything else from valid values, so both the
error paths and the working paths get exercised."""
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import qkernels as qk
from qkernels import reference
from conftest import scaled

EXAMPLES = scaled(150, 12)  # validation logic is Python: little to gain from emulation
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

ARG_NAMES = ("weight", "bias", "input_scale", "input_zero_point", "weight_scale", "weight_zero_point",
             "output_scale", "output_zero_point", "output_min", "output_max", "requantization", "stride",
             "padding", "dilation", "groups", "kernel", "x", "out", "threads")

BAD_SCALE = st.sampled_from([0.0, -1.0, float("nan"), float("inf"), 1e-30, 300.0, "0.1", None, [0.01, 0.02],
                             np.array([[0.1]]), True])
BAD_ZP = st.one_of(st.integers(-300, 300), st.sampled_from([1.5, "0", None, 2**40, True]))
BAD_CLAMP = st.one_of(st.integers(-300, 300), st.sampled_from([1.5, "x"]))
BAD_SPATIAL = st.one_of(st.integers(-2, 0), st.tuples(st.integers(-1, 3), st.integers(-1, 3)),
                        st.sampled_from(["full", None, 1.0, (1, 2, 3), [1], "1"]))
BAD = {
    "input_scale": BAD_SCALE, "weight_scale": BAD_SCALE, "output_scale": BAD_SCALE,
    "input_zero_point": BAD_ZP, "weight_zero_point": BAD_ZP, "output_zero_point": BAD_ZP,
    "output_min": BAD_CLAMP, "output_max": BAD_CLAMP,
    "requantization": st.sampled_from(["FP32", None, 3, "round"]),
    "threads": st.one_of(st.integers(-2, 0), st.sampled_from([2**40, 1.0, "2", 10**6])),
    "stride": BAD_SPATIAL, "padding": BAD_SPATIAL, "dilation": BAD_SPATIAL,
    "groups": st.one_of(st.integers(-1, 5), st.sampled_from([1.0, None, "2"])),
}
QUANT = ("input_scale", "input_zero_point", "weight_scale", "weight_zero_point", "output_scale",
         "output_zero_point", "output_min", "output_max", "requantization")
# things to break besides argument values
SHAPES = ("weight_dtype", "weight_rank", "weight_empty", "weight_layout", "bias", "x_dtype", "x_shape",
          "x_layout", "out")


def _div(d):
    def f(i):
        return i / d
    return f


# Valid values, built once (old hypothesis versions parse the source of every
# .map() function when a strategy is made, so nothing is built per example).
# Scales come from integers: old versions make bounded floats by rejection.
_RANGE = {"int8": (-128, 127), "uint8": (0, 255)}
_GOOD_COMMON = {
    "input_scale": st.integers(1, 100).map(_div(100)), "output_scale": st.integers(1, 100).map(_div(2)),
    "requantization": st.sampled_from(["fp32", "gemmlowp"]), "threads": st.one_of(st.none(), st.integers(1, 3)),
    "stride": st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    "padding": st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)),
                         st.sampled_from(["same", "valid"])),
    "dilation": st.one_of(st.integers(1, 2), st.tuples(st.integers(1, 2), st.integers(1, 2))),
    "groups": st.sampled_from([1, 2]),
}
_SCALAR_WEIGHT_SCALE = st.integers(1, 50).map(_div(1000))
_GOOD_DTYPE = {
    dt: {"weight_zero_point": st.just(0) if dt == "int8" else st.integers(lo, hi),
         "input_zero_point": st.integers(lo, hi), "output_zero_point": st.integers(lo, hi),
         "output_min": st.one_of(st.none(), st.integers(lo, lo + 20)),
         "output_max": st.one_of(st.none(), st.integers(hi - 20, hi))}
    for dt, (lo, hi) in _RANGE.items()
}


def good(draw, name, dtype, n):
    if name == "weight_scale":
        if dtype == "int8" and draw(st.booleans()):
            return np.linspace(1e-3, 0.05, n)  # per channel
        return draw(_SCALAR_WEIGHT_SCALE)
    return draw(_GOOD_COMMON[name] if name in _GOOD_COMMON else _GOOD_DTYPE[dtype][name])


def check_error(e):
    counter["errors"] += 1
    assert isinstance(e, (TypeError, ValueError)), repr(e)
    msg = str(e)
    assert any(name in msg for name in ARG_NAMES), f"message names no argument: {msg!r}"


def rand(draw, dtype, shape, bad_layout=False):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return np.zeros(shape, dt)
    info = np.iinfo(dt)
    seed = draw(st.integers(0, 2**32 - 1))
    arr = np.random.default_rng(seed).integers(info.min, info.max + 1, shape).astype(dt)
    if bad_layout:  # legal but unusual layouts: read-only, Fortran order, strided
        layout = draw(st.sampled_from(["readonly", "fortran", "strided"]))
        if layout == "readonly":
            arr.setflags(write=False)
        elif layout == "fortran":
            arr = np.asfortranarray(arr)
        elif arr.ndim:
            arr = np.repeat(arr, 2, axis=-1)[..., ::2]
    return arr


def other_dtype(draw, dtype):
    return draw(st.sampled_from(["int16", "float32", "uint8" if dtype == "int8" else "int8"]))


def bad_out(draw, shape, dtype, x):
    kind = draw(st.sampled_from(["right", "wrong_dtype", "wrong_shape", "readonly", "alias", "list", "strided"]))
    if kind == "right":
        return np.empty(shape, dtype)
    if kind == "wrong_dtype":
        return np.empty(shape, np.int32)
    if kind == "wrong_shape":
        return np.empty(tuple(shape) + (2,), dtype)
    if kind == "readonly":
        o = np.empty(shape, dtype)
        o.setflags(write=False)
        return o
    if kind == "strided":
        return np.empty(tuple(shape[:-1]) + (2 * shape[-1],), dtype)[..., ::2] if shape else np.empty(shape, dtype)
    if kind == "alias" and x.flags.c_contiguous and x.dtype == np.dtype(dtype) and x.size >= int(np.prod(shape)):
        return x.reshape(-1)[:int(np.prod(shape))].reshape(shape)
    return [0, 1]


# Examples that reached a verdict: a checked error, or a result equal to the
# reference.  (Old hypothesis versions also start examples they abandon
# mid-draw; those are not counted.)
counter = {"errors": 0, "ok": 0}


def pick_broken(draw, candidates):
    """At most two things to break; plain draws (no set uniqueness, which old
    hypothesis versions satisfy by rejecting examples)."""
    count = draw(st.sampled_from([0, 1, 2, 0]))
    return {draw(st.sampled_from(candidates)) for _ in range(count)}


def arguments(draw, names, dtype, n, broken):
    return {a: draw(BAD[a]) if a in broken else good(draw, a, dtype, n) for a in names}


@SETTINGS
@given(data=st.data())
def test_linear_fuzz(data):
    draw = data.draw
    broken = pick_broken(draw, QUANT + ("threads",) + SHAPES)
    dtype = draw(st.sampled_from(["int8", "uint8"]))
    n, k = draw(st.integers(1, 9)), draw(st.integers(1, 20))
    wdt = other_dtype(draw, dtype) if "weight_dtype" in broken else dtype
    wshape = draw(st.sampled_from([(k,), (1, n, k), (n, 0), (0, k)])) if "weight_rank" in broken else (n, k)
    weight = rand(draw, wdt, wshape, "weight_layout" in broken)
    bias = None if draw(st.booleans()) else np.arange(n, dtype=np.int32)
    if "bias" in broken:
        bias = draw(st.sampled_from([np.arange(n, dtype=np.int64), np.arange(n + 1, dtype=np.int32), [1, 2], "b",
                                     np.zeros((n, 1), np.int32)]))
    kw = arguments(draw, QUANT, dtype, n, broken)
    try:
        op = qk.Linear(weight, bias, **kw)
    except Exception as e:  # noqa: BLE001 - the contract is about which exceptions
        check_error(e)
        return
    xdt = other_dtype(draw, dtype) if "x_dtype" in broken else dtype
    xshape = draw(st.sampled_from([(3, k), (k,), (2, 2, k), (0, k)]))
    if "x_shape" in broken:
        xshape = draw(st.sampled_from([(3, k + 1), (), (3, 0)]))
    x = rand(draw, xdt, xshape, "x_layout" in broken)
    out = bad_out(draw, xshape[:-1] + (n,), dtype, x) if "out" in broken else None
    threads = arguments(draw, ("threads",), dtype, n, broken)["threads"]
    try:
        got = op(x, out=out, threads=threads)
    except Exception as e:  # noqa: BLE001
        check_error(e)
        return
    np.testing.assert_array_equal(got, reference.linear(x, weight, bias, **kw))
    counter["ok"] += 1


@SETTINGS
@given(data=st.data())
def test_conv2d_fuzz(data):
    draw = data.draw
    geo = ("stride", "padding", "dilation", "groups")
    broken = pick_broken(draw, QUANT + geo + ("threads",) + SHAPES)
    dtype = draw(st.sampled_from(["int8", "uint8"]))
    cout, kh, kw_, cin_g = 2 * draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), \
        draw(st.integers(1, 4))
    wdt = other_dtype(draw, dtype) if "weight_dtype" in broken else dtype
    wshape = (cout, kh, kw_, cin_g)
    if "weight_rank" in broken:
        wshape = draw(st.sampled_from([(cout, kh, kw_), (cout, 0, kw_, cin_g), (1, cout, kh, kw_, cin_g)]))
    weight = rand(draw, wdt, wshape, "weight_layout" in broken)
    bias = None if "bias" not in broken else draw(st.sampled_from([np.arange(cout, dtype=np.int64), [1], "b"]))
    args = arguments(draw, QUANT + geo, dtype, cout, broken)
    geometry = {a: args.pop(a) for a in geo}
    try:
        op = qk.Conv2d(weight, bias, **geometry, **args)
    except Exception as e:  # noqa: BLE001
        check_error(e)
        return
    cin = cin_g * geometry["groups"]
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    xshape = draw(st.sampled_from([(2, h, w, cin), (h, w, cin), (0, h, w, cin)]))
    if "x_shape" in broken:
        xshape = draw(st.sampled_from([(h, w, cin + 1), (0, w, cin), (w, cin), (1, 1, h, w, cin)]))
    xdt = other_dtype(draw, dtype) if "x_dtype" in broken else dtype
    x = rand(draw, xdt, xshape, "x_layout" in broken)
    threads = arguments(draw, ("threads",), dtype, cout, broken)["threads"]
    try:
        got = op(x, threads=threads)
    except Exception as e:  # noqa: BLE001
        check_error(e)
        return
    np.testing.assert_array_equal(got, reference.conv2d(x, weight, bias, **geometry, **args))
    counter["ok"] += 1


def test_fuzz_counted():
    # Runs last in this module: the fuzzers above ran, and valid inputs were among them.
    total = counter["errors"] + counter["ok"]
    assert total >= 2 * EXAMPLES * 0.9
    assert counter["ok"] >= max(3, 0.05 * total)  # ~25-45% are valid; far from flaky
    print(f"gemm fuzz cases: {total}, valid: {counter['ok']}")
