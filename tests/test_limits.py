"""Size limits (hardening issue, "Limits"): shapes whose buffers exceed what
the platform can index raise ValueError naming the argument and the limit,
BEFORE anything is allocated or copied; a 1x1 layer whose input crosses 2^31
bytes runs correctly (64-bit) or errors cleanly (32-bit).

The limits (qkernels/_validate.py): one buffer holds at most sys.maxsize bytes
(2^63-1 on 64-bit, 2^31-1 on armv7) -- the C drivers index with size_t, so
bounding every buffer bounds every offset product -- and SparseConv1x1's
kernels walk the input with int32 byte increments (2^31-1).

Huge inputs cost nothing: they are zero-stride views (np.broadcast_to /
as_strided of one element), the largest numpy can describe being sys.maxsize
bytes.  Shapes are therefore built from the platform's limit, so the same
cases run on 64-bit hosts and under QEMU armv7.  Each rejected call runs
under tracemalloc and must allocate less than a few MiB (numpy reports its
buffers to tracemalloc), which proves "before any allocation".
"""
import sys
import time
import tracemalloc

import numpy as np
import pytest

import qkernels as qk
from qkernels import _validate as V
from qkernels import reference as ref

LIMIT = sys.maxsize  # the buffer limit of this platform
B = LIMIT.bit_length()  # 63 or 31
IS_64 = B == 63
LIMIT_TEXT = f"2^{B}-1 byte limit of one buffer on this {B + 1}-bit platform"

Q = dict(input_scale=0.02, input_zero_point=1, weight_scale=0.01, output_scale=0.5, output_zero_point=3)
QU = dict(Q, input_zero_point=128, weight_zero_point=120, output_zero_point=128)


def huge(shape, dtype, writable=False):
    """A zero-stride view of one element with `shape` (no memory behind it)."""
    one = np.zeros(1, dtype)
    return np.lib.stride_tricks.as_strided(one, shape=shape, strides=(0,) * len(shape), writeable=writable)


def _fast_value_error(fn):
    """fn() raises ValueError quickly and with (almost) nothing allocated: its message."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ValueError) as info:
            fn()
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    msg = str(info.value)
    assert peak < 4 << 20, f"{peak} bytes allocated before the error: {msg}"
    assert elapsed < 5.0, f"took {elapsed:.1f} s: {msg}"
    return msg


def rejects(fn, name, what, limit_text=LIMIT_TEXT):
    """fn() raises ValueError naming `name`, the buffer `what` and the limit, fast, allocating nothing."""
    msg = _fast_value_error(fn)
    assert msg.startswith(f"{name}: "), msg
    assert what in msg, msg
    assert limit_text in msg, msg
    return msg


# ---------------------------------------------------------------------------
# The helper itself


def test_nbytes_python_ints():
    assert V.nbytes("x", "the result", (3, 5), 4) == 15
    assert V.nbytes("x", "the result", 7) == 7
    assert V.nbytes("x", "the result", (LIMIT,)) == LIMIT  # exactly at the limit is fine
    # products far beyond 64 bits never wrap to a small number
    with pytest.raises(ValueError, match=r"^x: the result of shape .* has 2\^128 elements"):
        V.nbytes("x", "the result", (2**64, 2**64))
    with pytest.raises(ValueError, match=r"^out: the result of shape \(%d,\) has 2\^%d-1 elements of 2 byte" % (LIMIT, B)):
        V.nbytes("out", "the result", (LIMIT,), 2)
    with pytest.raises(ValueError, match=r"2\^31-1 byte offset limit of the sparse kernels"):
        V.nbytes("x", "an increment", 2**29, 4, V.SPMM_OFFSET_LIMIT)
    assert V.nbytes("x", "an increment", 2**29 - 1, 4, V.SPMM_OFFSET_LIMIT) == 2**29 - 1
    # numpy fixed-width ints in the shape are converted, not multiplied as int64
    assert V.nbytes("x", "t", (np.int64(2**40), np.int64(2**40)), 1, (2**81, "")) == 2**80


# ---------------------------------------------------------------------------
# Constructors: packed weights (and copies) larger than one buffer

A = B // 2  # split of the exponent between two dimensions


def _linear_weight():
    # N*K = 2^B - 2^A <= LIMIT: the view exists; packing adds bias and scale
    # words (and K padding) per channel: > LIMIT.
    return huge((2**A, 2**(B - A) - 1), np.int8)


CTOR_CASES = {
    "Linear": lambda: qk.Linear(_linear_weight(), **Q),
    "Linear-qu8-gemmlowp": lambda: qk.Linear(huge((2**A, 2**(B - A) - 1), np.uint8), requantization="gemmlowp",
                                             **QU),
    "Conv2d-1x1": lambda: qk.Conv2d(huge((2**A, 1, 1, 2**(B - A) - 1), np.int8), **Q),
    "Conv2d-grouped": lambda: qk.Conv2d(huge((2**A, 1, 1, 2**(B - A) - 1), np.int8), groups=2, **Q),
    "DepthwiseConv2d": lambda: qk.DepthwiseConv2d(huge((1, 1, 2**(B - 1)), np.int8), **Q),
    "DepthwiseConv2d-5x5": lambda: qk.DepthwiseConv2d(huge((5, 5, LIMIT // 25), np.int8), **Q),
    "chw.DepthwiseConv2d": lambda: qk.chw.DepthwiseConv2d(huge((LIMIT // 36, 3, 3), np.float32)),
    "chw.Conv2dHWC2CHW": lambda: qk.chw.Conv2dHWC2CHW(huge((LIMIT // 108, 3, 3, 3), np.float32)),
}


@pytest.mark.parametrize("case", sorted(CTOR_CASES))
def test_constructor_packed_weights_over_limit(case):
    rejects(CTOR_CASES[case], "weight", "the packed weights")


def test_sparse_constructor_packed_values_over_limit():
    # Cout*Cin*4 <= LIMIT (the dense copy fits) but Cout*(Cin+1)*4 > LIMIT.
    w = huge((2**(B - 22), 2**20 - 1), np.float32)
    rejects(lambda: qk.SparseConv1x1(w, mode="sparse"), "weight", "the packed values")


@pytest.mark.skipif(not IS_64, reason="32-bit: a float32 weight with Cin = 2^29 is 2^31 bytes, more than any "
                                      "numpy array there (sys.maxsize = 2^31-1)")
def test_sparse_constructor_cin_limit_before_copy():
    # Cin >= 2^29 cannot be described by the packed format (columns << 2 in a
    # uint32): rejected before the dense float32 copy is made.
    w = huge((1, 2**29), np.float32)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"^weight must have Cin below 2\*\*29"):
            qk.SparseConv1x1(w)
        assert tracemalloc.get_traced_memory()[1] < 4 << 20
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------------
# Calls: results and temporaries larger than one buffer

def _conv(weight_shape, **kw):
    rng = np.random.default_rng(1)
    return qk.Conv2d(rng.integers(-5, 6, weight_shape, dtype=np.int8), **kw, **Q)


CALL_CASES = {
    # Linear: 16 outputs per row of a [2^(B-2), 1] input: 2^(B+2) result bytes.
    "Linear-result": (lambda: qk.Linear(np.ones((16, 1), np.int8), **Q)(huge((2**(B - 2), 1), np.int8)),
                      "x", "the result"),
    "Linear-result-batched": (lambda: qk.Linear(np.ones((16, 1), np.int8), **Q)(huge((4, 2**(B - 4), 1), np.int8)),
                              "x", "the result"),
    # 1x1 Conv2d with 64 output channels over 2^(B-2) pixels.
    "Conv2d-1x1-result": (lambda: _conv((64, 1, 1, 1))(huge((1, 2**(B // 2 - 1), 2**(B - 1 - B // 2), 1), np.int8)),
                          "x", "the result"),
    # 3x3 conv, 8 channels (IGEMM): 9 pointers per output pixel.
    "Conv2d-indirection": (lambda: _conv((1, 3, 3, 8), padding=1)(
        huge((2**((B - 3) // 2), 2**((B - 3) // 2 - 1), 8), np.int8)), "x", "the indirection buffer"),
    # Huge padding of a 1-pixel image: the output plane is 2^(B+2) pixels.
    "Conv2d-padding": (lambda: _conv((8, 1, 1, 8), padding=2**(B // 2))(np.zeros((1, 1, 8), np.int8)),
                       "x", "the indirection buffer"),
    # 3x3 conv, 3 channels (im2col): 27 bytes per output pixel.
    "Conv2d-im2col": (lambda: _conv((1, 3, 3, 3), padding=1)(
        huge((2**((B - 3) // 2), 2**((B - 3) // 2), 3), np.int8)), "x", "the im2col matrix"),
    "DepthwiseConv2d-indirection": (lambda: qk.DepthwiseConv2d(np.ones((3, 3, 1), np.int8), padding=1, **Q)(
        huge((2**(B // 2), 2**(B - 1 - B // 2), 1), np.int8)), "x", "the indirection buffer"),
    "DepthwiseConv2d-result": (lambda: qk.DepthwiseConv2d(np.ones((1, 1, 8), np.int8), padding=1024, **Q)(
        huge((2**(B - 20), 1, 1, 8), np.int8)), "x", "the result"),
    "SparseConv1x1-result": (lambda: qk.SparseConv1x1(np.ones((64, 1), np.float32), mode="sparse")(
        huge((1, 2**((B - 3) // 2), 2**(B - 3 - (B - 3) // 2)), np.float32)), "x", "the result"),
    "SparseConv1x1-result-dense": (lambda: qk.SparseConv1x1(np.ones((64, 1), np.float32), mode="dense")(
        huge((1, 2**((B - 3) // 2), 2**(B - 3 - (B - 3) // 2)), np.float32)), "x", "the result"),
    "chw.Conv2dHWC2CHW-result": (lambda: qk.chw.Conv2dHWC2CHW(np.ones((64, 3, 3, 3), np.float32))(
        huge((2**((B - 4) // 2), 2**(B - 4 - (B - 4) // 2), 3), np.float32)), "x", "the result"),
    "quantize": (lambda: qk.quantize(huge((2**(B - 2),), np.float16), 0.1, 0, "int8"),
                 "x", "the float64 temporaries of quantize"),
    "quantize-per-channel": (lambda: qk.quantize(huge((2, 2**(B - 3)), np.float16), [0.1, 0.2], [0, 1], "int8", axis=0),
                             "x", "the float64 temporaries of quantize"),
    "dequantize": (lambda: qk.dequantize(huge((2**(B - 1),), np.int8), 0.1, 0), "q", "the float32 result"),
}


@pytest.mark.parametrize("case", sorted(CALL_CASES))
def test_call_over_limit(case):
    fn, name, what = CALL_CASES[case]
    rejects(fn, name, what)


def _huge_out_case(op, x, out_shape, out_dtype, *args):
    return lambda: op(x, *args, out=huge(out_shape, out_dtype, writable=True))


def _rng_w(shape, dtype=np.int8):
    return np.random.default_rng(2).integers(-5, 6, shape).astype(dtype)


# Big (but legal) zero-stride inputs with a zero-stride writable out= of the
# exact result shape: out= is refused (not C-contiguous) BEFORE the input is
# copied, a buffer is allocated or an indirection buffer is built.  (An out=
# beyond the limit cannot exist: numpy caps views at sys.maxsize bytes too.)
P = B - 8 if IS_64 else B - 6  # inputs of about 2^P bytes (2^55; 32 MiB on 32-bit) that must not be copied
OUT_CASES = {
    "Linear": _huge_out_case(qk.Linear(np.ones((1, 1), np.int8), **Q), huge((2**P, 1), np.int8),
                             (2**P, 1), np.int8),
    "Conv2d-1x1": _huge_out_case(qk.Conv2d(np.ones((1, 1, 1, 1), np.int8), **Q), huge((2**P, 1, 1), np.int8),
                                 (2**P, 1, 1), np.int8),
    "Conv2d-3x3": _huge_out_case(qk.Conv2d(_rng_w((1, 3, 3, 8)), padding=1, **Q),
                                 huge((2**((P - 7) // 2), 2**((P - 7) // 2), 8), np.int8),
                                 (2**((P - 7) // 2), 2**((P - 7) // 2), 1), np.int8),
    "Conv2d-im2col": _huge_out_case(qk.Conv2d(_rng_w((1, 3, 3, 3)), padding=1, **Q),
                                    huge((2**((P - 8) // 2), 2**((P - 8) // 2), 3), np.int8),
                                    (2**((P - 8) // 2), 2**((P - 8) // 2), 1), np.int8),
    "DepthwiseConv2d": _huge_out_case(qk.DepthwiseConv2d(np.ones((3, 3, 1), np.int8), padding=1, **Q),
                                      huge((2**((P - 5) // 2), 2**((P - 5) // 2), 1), np.int8),
                                      (2**((P - 5) // 2), 2**((P - 5) // 2), 1), np.int8),
    "SparseConv1x1": _huge_out_case(qk.SparseConv1x1(np.ones((1, 1), np.float32), mode="sparse"),
                                    huge((1, 2**((P - 2) // 2), 2**((P - 2) // 2)), np.float32),
                                    (1, 2**((P - 2) // 2), 2**((P - 2) // 2)), np.float32),
    "GlobalAvgPool2d": _huge_out_case(qk.GlobalAvgPool2d(0.1, 0, 0.1, 0), huge((2**(P - 22), 2**11, 2**11, 1), np.int8),
                                      (2**(P - 22), 1), np.int8),
    "Add": lambda: qk.Add(0.1, 0, 0.1, 0, 0.2, 0)(huge((2**P,), np.int8), huge((2**P,), np.int8),
                                                   out=huge((2**P,), np.int8, writable=True)),
    "AddF32": lambda: qk.AddF32()(huge((2**(P - 2),), np.float32), huge((2**(P - 2),), np.float32),
                                  out=huge((2**(P - 2),), np.float32, writable=True)),
    "requantize": lambda: qk.requantize(huge((2**(P - 2),), np.int32), 0.01, 0, "int8",
                                        out=huge((2**(P - 2),), np.int8, writable=True)),
    "chw.DepthwiseConv2d": _huge_out_case(qk.chw.DepthwiseConv2d(np.ones((1, 3, 3), np.float32)),
                                          huge((1, 2**((P - 2) // 2), 2**((P - 2) // 2)), np.float32),
                                          (1, 2**((P - 2) // 2), 2**((P - 2) // 2)), np.float32),
    "chw.Conv2dHWC2CHW": _huge_out_case(qk.chw.Conv2dHWC2CHW(np.ones((1, 3, 3, 3), np.float32)),
                                        huge((2**((P - 4) // 2), 2**((P - 4) // 2), 3), np.float32),
                                        (1, 2**((P - 4) // 2 - 1), 2**((P - 4) // 2 - 1)), np.float32),
    "chw.GlobalAvgPool": _huge_out_case(qk.chw.GlobalAvgPool(), huge((2**(P - 4), 2, 2), np.float32),
                                        (2**(P - 4),), np.float32),
    "chw.hwc_to_chw": lambda: qk.chw.hwc_to_chw(huge((2**(P - 4), 2, 2), np.float32),
                                                out=huge((2, 2**(P - 4), 2), np.float32, writable=True)),
    "chw.chw_to_hwc": lambda: qk.chw.chw_to_hwc(huge((2, 2**(P - 4), 2), np.float32),
                                                out=huge((2**(P - 4), 2, 2), np.float32, writable=True)),
}


@pytest.mark.parametrize("case", sorted(OUT_CASES))
def test_huge_out_rejected_before_input_copy(case):
    msg = _fast_value_error(OUT_CASES[case])
    assert msg == "out must be C-contiguous", msg


def test_out_fitting_but_strided_is_still_rejected():
    """Within the limit, a zero-stride out= is refused by the usual contiguity check (ValueError)."""
    op = qk.Linear(np.ones((16, 1), np.int8), **Q)
    out = huge((8, 16), np.int8, writable=True)
    with pytest.raises(ValueError, match="^out must be C-contiguous"):
        op(np.ones((8, 1), np.int8), out=out)


@pytest.mark.skipif(not IS_64, reason="32-bit: unreachable -- the increment is below Cin*H*W*4, the size of x, "
                                      "which numpy caps at sys.maxsize = 2^31-1, the int32 limit itself")
@pytest.mark.parametrize("kernel", [None, "variant"])
def test_sparse_int32_increment_limit(kernel):
    """SparseConv1x1's kernels step between input channels by int32 byte increments."""
    w = np.ones((1, 2), np.float32)  # one jump of 1 channel forward, one back
    op = qk.SparseConv1x1(w, mode="sparse" if kernel is None else "dense")
    k = None if kernel is None else qk.cpu_info()["kernels"]["f32_spmm"]
    x = huge((2, 2**14, 2**15), np.float32)  # one channel = 2^31 bytes: an increment of 2^31
    rejects(lambda: op(x, kernel=k), "x", "the largest input increment",
            "2^31-1 byte offset limit of the sparse kernels' int32 input increments")
    # just below: 2^31 - 4 bytes per channel passes the check (the dense path runs; here only the check)
    op._check_offsets(2**29 - 1)
    with pytest.raises(ValueError, match="int32 input increments"):
        op._check_offsets(2**29)


def test_global_avg_pool_rows_before_copy():
    """GlobalAvgPool2d's int32-exactness limit (H*W <= 2^23) is checked before the strided input is copied."""
    op = qk.GlobalAvgPool2d(0.1, 0, 0.1, 0)
    x = huge((1, 2**12, 2**12, 4), np.int8)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"^x has H\*W = 16777216 pixels; at most 8388608"):
            op(x)
        assert tracemalloc.get_traced_memory()[1] < 4 << 20
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------------
# A 1x1 layer whose input crosses 2^31 bytes

# [H, W, C] with H*W*C = 2^31 + 2^18 (64-bit) / 2^31 - 2^18 (32-bit, just below sys.maxsize)
C = 256
W = 1024
H_PAST = 2**31 // (W * C) + 1  # 8193
H_BELOW = 2**31 // (W * C) - 1  # 8191


def _fill_rows(x, rng):
    """Random data in a few pixels spread over the buffer, including the last ones (past 2^31 when
    the input is that large); the rest stays zero (untouched pages: no memory)."""
    flat = x.reshape(-1, C)
    m = flat.shape[0]
    rows = np.unique(np.concatenate([[0, 1, m // 2, m - 4, m - 3, m - 2, m - 1], rng.integers(0, m, 16)]))
    flat[rows] = rng.integers(-128, 128, (rows.size, C), dtype=np.int8)
    return rows


def _check_pointwise(x, rows, rng, cout):
    w = rng.integers(-128, 128, (cout, 1, 1, C), dtype=np.int8)
    bias = rng.integers(-1000, 1000, cout, dtype=np.int32)
    op = qk.Conv2d(w, bias, **Q)
    y = op(x)
    yf = y.reshape(-1, cout)
    flat = x.reshape(-1, C)
    want = ref.conv2d(flat[rows][None], w, bias, **Q)[0]
    np.testing.assert_array_equal(yf[rows], want)
    zero = ref.conv2d(np.zeros((1, 1, C), np.int8), w, bias, **Q)[0, 0]
    rest = np.ones(yf.shape[0], bool)
    rest[rows] = False
    assert (yf[rest] == zero).all()  # every other pixel: the zero pixel's output


def _check_strided(x, rng, stride):
    """1x1 Conv2d (IGEMM: indirection pointers past 2^31) and DepthwiseConv2d with a large stride:
    cheap, and the last output row reads the last input row."""
    w = rng.integers(-128, 128, (8, 1, 1, C), dtype=np.int8)
    op = qk.Conv2d(w, stride=stride, **Q)
    y = op(x)
    np.testing.assert_array_equal(y, ref.conv2d(np.ascontiguousarray(x[::stride, ::stride]), w, **Q))
    wd = rng.integers(-128, 128, (1, 1, C), dtype=np.int8)
    dw = qk.DepthwiseConv2d(wd, stride=stride, **Q)
    yd = dw(x)
    np.testing.assert_array_equal(yd, ref.depthwise_conv2d(np.ascontiguousarray(x[::stride, ::stride]), wd, **Q))
    assert (H_PAST - 1) % stride == 0  # the last input row is read


@pytest.mark.skipif(not IS_64, reason="32-bit: an input of 2^31 bytes or more cannot exist there (numpy caps "
                                      "arrays at sys.maxsize = 2^31-1); test_1x1_just_below_2_31 covers 32-bit")
def test_1x1_past_2_31_bytes():
    """H*W*C = 2^31 + 2^18: every offset past 2^31 would wrap in an int32; the 1x1 layer must run and
    match the reference.  The zero-filled input costs only the pages written."""
    rng = np.random.default_rng(7)
    x = np.zeros((H_PAST, W, C), np.int8)
    assert x.nbytes == 2**31 + 2**18
    rows = _fill_rows(x, rng)
    assert rows[-1] * C > 2**31
    _check_strided(x, rng, 64)
    _check_pointwise(x, rows, rng, cout=4)


def test_1x1_just_below_2_31():
    """H*W*C = 2^31 - 2^18, just below armv7's buffer limit: on 32-bit the 1x1 layer errors cleanly
    (its result would exceed the limit: ValueError; the input may not be allocatable: MemoryError) or
    runs correctly (under QEMU armv7 the 2 GiB input is allocatable and it runs: the strided layers and
    the full 1x1 GEMM); on 64-bit it runs the cheap strided layers (the full GEMM is the test above)."""
    rng = np.random.default_rng(8)
    shape = (H_BELOW, W, C)
    # A result larger than the input (512 output channels) is refused before anything is allocated
    # on 32-bit; on 64-bit it is legal (2^32 bytes), so only the check is asserted there.
    if not IS_64:
        op = qk.Conv2d(np.ones((512, 1, 1, C), np.int8), **Q)
        rejects(lambda: op(huge(shape, np.int8)), "x", "the result")
    else:
        assert V.nbytes("x", "the result", shape[:2] + (512,)) == H_BELOW * W * 512
    try:
        x = np.zeros(shape, np.int8)
    except MemoryError:
        assert not IS_64, "a 2 GiB zero-filled array must be allocatable on 64-bit"
        print("just below 2^31: MemoryError allocating the input")
        return  # 32-bit: the address space has no 2 GiB hole: a clean MemoryError
    rows = _fill_rows(x, rng)
    w = rng.integers(-128, 128, (8, 1, 1, C), dtype=np.int8)
    op = qk.Conv2d(w, stride=(H_BELOW - 1) // 26, **Q)
    try:
        y = op(x)
    except MemoryError:
        assert not IS_64
        print("just below 2^31: MemoryError inside the call")
        return
    print("just below 2^31: ran")
    ys = np.ascontiguousarray(x[::op.stride[0], ::op.stride[1]])
    np.testing.assert_array_equal(y, ref.conv2d(ys, w, **Q))
    if not IS_64:  # the full 1x1 GEMM over all 2^31 - 2^18 bytes (64-bit runs it past 2^31 above)
        try:
            _check_pointwise(x, rows, rng, cout=4)
        except MemoryError:
            print("just below 2^31: MemoryError inside the pointwise call")
            return
        print("just below 2^31: pointwise ran")
