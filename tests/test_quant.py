"""quantize / dequantize: semantics and argument errors."""
import numpy as np
import pytest

import qkernels as qk


def test_quantize_rounds_half_to_even_and_saturates():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1000.0, -1000.0, np.inf, -np.inf], np.float32)
    np.testing.assert_array_equal(qk.quantize(x, 1.0, 0, "int8"), [0, 2, 2, 0, -2, 127, -128, 127, -128])
    np.testing.assert_array_equal(qk.quantize(x, 1.0, 128, "uint8"), [128, 130, 130, 128, 126, 255, 0, 255, 0])


def test_quantize_dequantize_roundtrip(rng):
    q = rng.integers(-128, 128, size=1000).astype(np.int8)
    x = qk.dequantize(q, 0.037, -3)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(qk.quantize(x, 0.037, -3, np.int8), q)


def test_per_channel(rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    s = np.array([0.1, 0.02, 0.5])
    q = qk.quantize(x, s, 0, "int8", axis=1)
    for c in range(3):
        np.testing.assert_array_equal(q[:, c], qk.quantize(x[:, c], s[c], 0, "int8"))
    back = qk.dequantize(q, s, 0, axis=-1)
    for c in range(3):
        np.testing.assert_array_equal(back[:, c], qk.dequantize(q[:, c], s[c], 0))


def test_dequantize_exact_formula():
    q = np.array([0, 255, 7], np.uint8)
    want = np.float32(0.1) * (q.astype(np.int32) - 10).astype(np.float32)
    np.testing.assert_array_equal(qk.dequantize(q, 0.1, 10), want)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: qk.quantize(np.zeros(3, np.int32), 1.0, 0, "int8"), TypeError, "x must have dtype"),
    (lambda: qk.quantize(np.zeros(3, np.float32), 0.0, 0, "int8"), ValueError, "scale"),
    (lambda: qk.quantize(np.zeros(3, np.float32), np.nan, 0, "int8"), ValueError, "scale"),
    (lambda: qk.quantize(np.zeros(3, np.float32), 1.0, 300, "uint8"), ValueError, "zero_point"),
    (lambda: qk.quantize(np.zeros(3, np.float32), 1.0, -1, "uint8"), ValueError, "zero_point"),
    (lambda: qk.quantize(np.zeros(3, np.float32), 1.0, 0, "int32"), TypeError, "dtype"),
    (lambda: qk.quantize(np.array([np.nan], np.float32), 1.0, 0, "int8"), ValueError, "NaN"),
    (lambda: qk.quantize(np.zeros((2, 3), np.float32), [1.0, 2.0], 0, "int8", axis=1), ValueError, "scale"),
    (lambda: qk.quantize(np.zeros((2, 3), np.float32), 1.0, 0, "int8", axis=2), ValueError, "axis"),
    (lambda: qk.dequantize(np.zeros(3, np.float32), 1.0, 0), TypeError, "q must have dtype"),
    (lambda: qk.dequantize(np.zeros(3, np.int8), -1.0, 0), ValueError, "scale"),
    (lambda: qk.dequantize(np.zeros(3, np.int8), 1.0, 128), ValueError, "zero_point"),
    (lambda: qk.dequantize(object(), 1.0, 0), TypeError, "q"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
