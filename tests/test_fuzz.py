"""Fuzzed bad input: every call either works (and equals the reference) or
raises TypeError/ValueError whose message names the offending argument.
Never a crash, a hang or silent garbage."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import qkernels as qk
from qkernels import reference
from conftest import scaled

EXAMPLES = scaled(300, 40)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

NUMBERS = st.sampled_from([0.0, -1.0, 1e-3, 0.5, 3.0, 300.0, 1e-45, float("nan"), float("inf"), -float("inf")])
BAD_OBJECTS = st.sampled_from([None, "x", object(), [1, 2], {"a": 1}, b"\x00", True])
ZERO_POINTS = st.one_of(st.integers(-300, 300), st.sampled_from([1.5, "0", None, np.int64(3), 2**40]))
DTYPES = st.sampled_from(["int8", "uint8", np.int8, np.uint8, "int16", "float32", np.float64, None, "bogus", 7])
THREADS = st.one_of(st.none(), st.integers(-3, 300), st.sampled_from([2**40, 1.0, "2"]))


def arrays(dtypes):
    shapes = st.one_of(st.just(()), st.lists(st.integers(0, 5), min_size=1, max_size=3).map(tuple))

    @st.composite
    def build(draw):
        dt = np.dtype(draw(st.sampled_from(dtypes)))
        shape = draw(shapes)
        n = int(np.prod(shape)) if shape else 1
        if dt.kind == "f":
            data = np.array(draw(st.lists(st.floats(allow_nan=True, width=32), min_size=n, max_size=n)), dtype=dt)
        else:
            info = np.iinfo(dt)
            data = np.array(draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=n, max_size=n)), dtype=dt)
        arr = data.reshape(shape)
        layout = draw(st.sampled_from(["c", "readonly", "strided", "fortran"]))
        if layout == "readonly":
            arr.setflags(write=False)
        elif layout == "strided" and arr.ndim >= 1:
            arr = np.repeat(arr, 2, axis=-1)[..., ::2]
        elif layout == "fortran":
            arr = np.asfortranarray(arr)
        return arr

    return build()


ARG_NAMES = ("acc", "x", "q", "scale", "zero_point", "dtype", "output_min", "output_max", "requantization",
             "threads", "out", "axis", "n")


def check_error(e):
    assert isinstance(e, (TypeError, ValueError)), repr(e)
    msg = str(e)
    assert any(name in msg for name in ARG_NAMES), f"message names no argument: {msg!r}"


counter = {"calls": 0}


@SETTINGS
@given(acc=st.one_of(arrays(["int32", "int64", "float32", "uint8"]), BAD_OBJECTS), scale=st.one_of(NUMBERS, BAD_OBJECTS),
       zp=ZERO_POINTS, dtype=DTYPES, qmin=st.one_of(st.none(), st.integers(-200, 300)),
       qmax=st.one_of(st.none(), st.integers(-200, 300)),
       mode=st.sampled_from(["fp32", "gemmlowp", "FP32", None]), threads=THREADS,
       out_kind=st.sampled_from([None, "right", "wrong_dtype", "wrong_shape", "alias", "readonly", "list"]))
def test_requantize_fuzz(acc, scale, zp, dtype, qmin, qmax, mode, threads, out_kind):
    counter["calls"] += 1
    out = None
    if isinstance(acc, np.ndarray) and out_kind is not None:
        shape = acc.shape
        dt = np.int8 if dtype in ("int8", np.int8) else np.uint8
        out = {"right": lambda: np.empty(shape, dt), "wrong_dtype": lambda: np.empty(shape, np.int32),
               "wrong_shape": lambda: np.empty(shape + (2,), dt), "alias": lambda: (acc.reshape(-1).view(np.uint8)[:acc.size].reshape(shape)
                                 if acc.flags.c_contiguous and acc.itemsize > 1 else np.empty(shape, dt)),
               "readonly": lambda: np.empty(shape, dt), "list": lambda: [0] * 3}[out_kind]()
        if out_kind == "readonly":
            out.setflags(write=False)
    try:
        got = qk.requantize(acc, scale, zp, dtype, output_min=qmin, output_max=qmax, requantization=mode,
                            out=out, threads=threads)
    except Exception as e:  # noqa: BLE001 - the contract is about which exceptions
        check_error(e)
        return
    want = reference.requantize(acc, scale, zp, dtype, qmin, qmax, mode)
    np.testing.assert_array_equal(got, want)


@SETTINGS
@given(x=st.one_of(arrays(["float32", "float64", "int8", "float16"]), BAD_OBJECTS), scale=st.one_of(NUMBERS, BAD_OBJECTS),
       zp=ZERO_POINTS, dtype=DTYPES, axis=st.sampled_from([None, None, 0, -1, 3, "0"]))
def test_quantize_fuzz(x, scale, zp, dtype, axis):
    counter["calls"] += 1
    try:
        got = qk.quantize(x, scale, zp, dtype, axis=axis)
    except Exception as e:  # noqa: BLE001
        check_error(e)
        return
    assert got.shape == np.shape(x) and got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, reference.quantize(x, scale, zp, dtype, axis=None if axis is None else int(axis)))


@SETTINGS
@given(q=st.one_of(arrays(["int8", "uint8", "int32", "float32"]), BAD_OBJECTS), scale=st.one_of(NUMBERS, BAD_OBJECTS),
       zp=ZERO_POINTS)
def test_dequantize_fuzz(q, scale, zp):
    counter["calls"] += 1
    try:
        got = qk.dequantize(q, scale, zp)
    except Exception as e:  # noqa: BLE001
        check_error(e)
        return
    np.testing.assert_array_equal(got, reference.dequantize(q, scale, zp))


@SETTINGS
@given(n=st.one_of(st.integers(-5, 1000), st.sampled_from([2**63, 1.0, "3", None, True])))
def test_set_num_threads_fuzz(n):
    counter["calls"] += 1
    old = qk.get_num_threads()
    try:
        qk.set_num_threads(n)
        assert qk.get_num_threads() == n
    except Exception as e:  # noqa: BLE001
        check_error(e)
    finally:
        qk.set_num_threads(old)


def test_fuzz_counted():
    # Runs last in this module (pytest keeps file order): the fuzzers above ran.
    assert counter["calls"] >= 4 * EXAMPLES * 0.9
    print(f"fuzz cases tried: {counter['calls']}")
