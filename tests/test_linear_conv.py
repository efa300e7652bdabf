"""qk.Linear and qk.Conv2d: every gemm variant (kernel=...) equals
qkernels.reference and, for convolution, a direct nested-loop reference,
over stride/padding/dilation/groups combinations; plus out=, threads=,
pickling, immutability, concurrent Python threads, guard pages and argument
errors."""
import pickle
import sys
import threading

import numpy as np
import pytest

import qkernels as qk
from qkernels import _ext, reference
from conftest import UNDER_QEMU, scaled
from guard import run_cases

DTYPES = ("int8", "uint8")
MODES = ("fp32", "gemmlowp")


def family(dtype):
    return "qs8_gemm" if np.dtype(dtype) == np.int8 else "qu8_gemm"


def kernels(dtype):
    return _ext.variants(family(dtype))


def rand(rng, dtype, shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, shape).astype(dtype)


def quant(rng, dtype, n, k, mode="fp32", per_channel=False):
    """Constructor keyword arguments with scales that keep outputs mostly in range."""
    dt = np.dtype(dtype)
    lo, hi = int(np.iinfo(dt).min), int(np.iinfo(dt).max)
    ws = 0.002
    if per_channel:
        ws = rng.uniform(0.0005, 0.004, n)
    return dict(input_scale=0.05, input_zero_point=int(rng.integers(lo, hi + 1)), weight_scale=ws,
                weight_zero_point=0 if dt == np.int8 else int(rng.integers(lo, hi + 1)),
                output_scale=0.05 * 0.002 * np.sqrt(k) * 60, output_zero_point=int(rng.integers(lo, hi + 1)),
                requantization=mode)


# ---------------------------------------------------------------------------
# Linear


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_linear_matches_reference(dtype, mode, rng):
    shapes = [((5,), 5, 1), ((3, 17), 17, 9), ((2, 3, 40), 40, 33), ((1, 1280), 1280, 10), ((11, 24), 24, 144)]
    for xshape, k, n in shapes[:scaled(5, 3)]:
        for per_channel in ((False, True) if dtype == "int8" else (False,)):
            w = rand(rng, dtype, (n, k))
            b = rng.integers(-10000, 10000, n).astype(np.int32)
            kw = quant(rng, dtype, n, k, mode, per_channel)
            x = rand(rng, dtype, xshape)
            want = reference.linear(x, w, b, **kw)
            assert want.shape == xshape[:-1] + (n,)
            for name in kernels(dtype):
                op = qk.Linear(w, b, kernel=name, **kw)
                assert op.kernel == name
                np.testing.assert_array_equal(op(x), want, err_msg=f"{name} {xshape} n={n}")


def test_linear_default_kernel_clamp_and_no_bias(rng):
    w = rand(rng, np.int8, (20, 30))
    kw = quant(rng, np.int8, 20, 30)
    op = qk.Linear(w, output_min=-10, output_max=60, **kw)
    assert op.kernel == _ext.selected("qs8_gemm")
    x = rand(rng, np.int8, (7, 30))
    y = op(x)
    np.testing.assert_array_equal(y, reference.linear(x, w, output_min=-10, output_max=60, **kw))
    assert y.min() >= -10 and y.max() <= 60


def test_linear_out_threads_strided_and_empty(rng):
    w = rand(rng, np.uint8, (37, 64))
    kw = quant(rng, np.uint8, 37, 64)
    op = qk.Linear(w, **kw)
    big = rand(rng, np.uint8, (50, 130))
    x = big[:, ::2][:, :64]  # non-contiguous input is accepted
    want = reference.linear(x, w, **kw)
    out = np.empty((50, 37), np.uint8)
    assert op(x, out=out) is out
    np.testing.assert_array_equal(out, want)
    for t in (1, 2, 3):
        np.testing.assert_array_equal(op(x, threads=t), want)
    assert op(np.zeros((0, 64), np.uint8)).shape == (0, 37)


# ---------------------------------------------------------------------------
# Conv2d against a direct nested-loop reference


def direct_conv(x, w, bias, stride, pads, dilation, groups, kw):
    """Textbook convolution: every output pixel, tap and channel, explicit bounds checks."""
    n, h, wd, cin = x.shape
    cout, kh, kwid, cin_g = w.shape
    pt, pb, pl, pr = pads
    oh = (h + pt + pb - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + pl + pr - dilation[1] * (kwid - 1) - 1) // stride[1] + 1
    cout_g = cout // groups
    xs = x.astype(np.int64) - kw["input_zero_point"]
    ws = w.astype(np.int64) - kw["weight_zero_point"]
    acc = np.zeros((n, oh, ow, cout), np.int64)
    if bias is not None:
        acc += bias
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                for i in range(kh):
                    for j in range(kwid):
                        iy = oy * stride[0] - pt + i * dilation[0]
                        ix = ox * stride[1] - pl + j * dilation[1]
                        if not (0 <= iy < h and 0 <= ix < wd):
                            continue  # padding: (zp - zp) * w = 0
                        for g in range(groups):
                            acc[b, oy, ox, g * cout_g:(g + 1) * cout_g] += (
                                ws[g * cout_g:(g + 1) * cout_g, i, j, :] @ xs[b, iy, ix, g * cin_g:(g + 1) * cin_g])
    real = kw["input_scale"] * np.asarray(kw["weight_scale"], np.float64) / kw["output_scale"]
    acc = ((acc + 2**31) % 2**32 - 2**31).astype(np.int32)
    return reference.requantize(acc, np.broadcast_to(real, (cout,)), kw["output_zero_point"], x.dtype,
                                kw.get("output_min"), kw.get("output_max"), kw["requantization"])


def same_pads(h, w, kh, kw, stride, dilation):
    oh, ow = -(-h // stride[0]), -(-w // stride[1])
    th = max((oh - 1) * stride[0] + (kh - 1) * dilation[0] + 1 - h, 0)
    tw = max((ow - 1) * stride[1] + (kw - 1) * dilation[1] + 1 - w, 0)
    return (th // 2, th - th // 2, tw // 2, tw - tw // 2)


# (kh, kw, stride, padding, dilation, groups, cin, cout, h, w)
CONV_CASES = [
    (3, 3, 1, 1, 1, 1, 8, 12, 6, 7),          # 3x3 same-size
    (3, 3, 2, 1, 1, 1, 5, 9, 7, 6),           # stride 2, odd sizes
    (3, 3, 2, "same", 1, 1, 4, 6, 8, 8),      # TF "same" with stride: extra pad bottom/right
    (5, 5, 1, "same", 2, 1, 3, 5, 9, 8),      # dilation, same
    (3, 3, 1, 0, 1, 1, 16, 24, 5, 5),         # valid
    (1, 1, 1, 0, 1, 1, 19, 10, 4, 5),         # pointwise: plain GEMM path
    (1, 1, 1, 0, 1, 2, 12, 10, 3, 4),         # grouped pointwise: GEMM path with groups
    (1, 1, 2, 0, 1, 1, 7, 9, 5, 6),           # 1x1 stride 2: IGEMM
    (1, 1, 1, 1, 1, 1, 6, 5, 3, 3),           # 1x1 padded: IGEMM with zero rows only at the border
    (3, 3, 1, 1, 1, 2, 8, 6, 5, 6),           # groups = 2
    (3, 3, 1, 1, 1, 4, 4, 8, 4, 5),           # groups = cin (depthwise with multiplier 2)
    (3, 3, 2, 1, 1, 1, 3, 16, 9, 9),          # Cin = 3 stem
    (1, 3, (1, 2), (0, 1), 1, 1, 5, 7, 4, 9),  # asymmetric kernel, stride, padding
    (3, 1, 1, (2, 0), (2, 1), 1, 9, 4, 6, 3),  # padding larger than needed, dilation (2, 1)
    (2, 2, 2, "valid", 1, 1, 11, 13, 6, 7),   # 2x2/2
    (7, 7, 1, 3, 1, 1, 2, 3, 3, 4),           # kernel larger than input: mostly padding
]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_matches_direct_loops(dtype, case, rng):
    kh, kw_, stride, padding, dilation, groups, cin, cout, h, w = CONV_CASES[case]
    if UNDER_QEMU and case % 2:
        h, w = min(h, 4), min(w, 4)
    weight = rand(rng, dtype, (cout, kh, kw_, cin // groups))
    bias = rng.integers(-5000, 5000, cout).astype(np.int32)
    x = rand(rng, dtype, (2, h, w, cin))
    st, dl = _pair(stride), _pair(dilation)
    if padding == "same":
        pads = same_pads(h, w, kh, kw_, st, dl)
    elif padding == "valid":
        pads = (0, 0, 0, 0)
    else:
        p = _pair(padding)
        pads = (p[0], p[0], p[1], p[1])
    for mode in MODES:
        kw = quant(rng, dtype, cout, kh * kw_ * cin // groups, mode, per_channel=dtype == "int8" and mode == "fp32")
        want = direct_conv(x, weight, bias, st, pads, dl, groups, kw)
        np.testing.assert_array_equal(
            reference.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups, **kw),
            want, err_msg="reference.conv2d vs direct loops")
        for name in kernels(dtype):
            op = qk.Conv2d(weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups,
                           kernel=name, **kw)
            np.testing.assert_array_equal(op(x), want, err_msg=f"{name} case {case} {mode}")
            np.testing.assert_array_equal(op(x[1]), want[1], err_msg=f"{name} case {case} unbatched")


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_every_row_tail(dtype, rng):
    """OH*OW = 1..13 pixels: every M tail (1-row path, aliased rows) of every
    variant, through the IGEMM path with padding taps, ks = 9 taps."""
    weight = rand(rng, dtype, (11, 3, 3, 5))
    for mode in MODES:
        kw = quant(rng, dtype, 11, 45, mode)
        for width in range(1, scaled(14, 8)):
            x = rand(rng, dtype, (2, 1, width, 5))
            want = reference.conv2d(x, weight, padding=1, **kw)
            for name in kernels(dtype):
                got = qk.Conv2d(weight, padding=1, kernel=name, **kw)(x)
                np.testing.assert_array_equal(got, want, err_msg=f"{name} width={width} {mode}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_random_shapes_vs_reference(dtype, rng):
    for _ in range(scaled(12, 3)):
        kh, kw_ = (int(v) for v in rng.integers(1, 4, 2))
        groups = int(rng.choice([1, 1, 2, 3]))
        cin = groups * int(rng.integers(1, 12))
        cout = groups * int(rng.integers(1, 12))
        h, w = int(rng.integers(kh, kh + 9)), int(rng.integers(kw_, kw_ + 9))
        stride = tuple(int(v) for v in rng.integers(1, 3, 2))
        dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
        padding = rng.choice(["same", "valid", "int"])
        padding = int(rng.integers(0, 3)) if padding == "int" else str(padding)
        mode = str(rng.choice(MODES))
        weight = rand(rng, dtype, (cout, kh, kw_, cin // groups))
        kw = quant(rng, dtype, cout, kh * kw_ * cin // groups, mode)
        x = rand(rng, dtype, (int(rng.integers(1, 3)), h, w, cin))
        args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, **kw)
        try:
            want = reference.conv2d(x, weight, None, **args)
        except ValueError:
            with pytest.raises(ValueError, match="smaller than the dilated kernel"):
                qk.Conv2d(weight, **args)(x)
            continue
        for name in kernels(dtype):
            np.testing.assert_array_equal(qk.Conv2d(weight, kernel=name, **args)(x), want, err_msg=f"{name} {args}")


def test_conv_pointwise_uses_gemm_and_igemm_agree(rng):
    weight = rand(rng, np.int8, (24, 1, 1, 16))
    kw = quant(rng, np.int8, 24, 16)
    x = rand(rng, np.int8, (3, 5, 7, 16))
    pw = qk.Conv2d(weight, **kw)
    assert pw._pointwise
    # the same convolution through the indirection path: "same" padding of a 1x1 is zero
    ig = qk.Conv2d(weight, padding=(0, 0), dilation=2, **kw)
    np.testing.assert_array_equal(pw(x), reference.conv2d(x, weight, **kw))
    lin = qk.Linear(weight.reshape(24, 16), **kw)
    np.testing.assert_array_equal(pw(x), lin(x))
    np.testing.assert_array_equal(ig(x), pw(x))


def test_conv_cache_serves_new_addresses_and_sizes(rng):
    weight = rand(rng, np.uint8, (8, 3, 3, 5))
    kw = quant(rng, np.uint8, 8, 45)
    op = qk.Conv2d(weight, stride=2, padding="same", **kw)
    for h, w in [(7, 9), (6, 6), (7, 9), (11, 3), (6, 6)]:
        for batch in (1, 3):
            x = rand(rng, np.uint8, (batch, h, w, 5))
            np.testing.assert_array_equal(op(x), reference.conv2d(x, weight, stride=2, padding="same", **kw))
    for i in range(20):  # more sizes than the cache holds
        x = rand(rng, np.uint8, (1, 3 + i, 4, 5))
        np.testing.assert_array_equal(op(x), reference.conv2d(x, weight, stride=2, padding="same", **kw))


def test_conv_out_threads_and_strided_input(rng):
    weight = rand(rng, np.int8, (32, 3, 3, 16))
    kw = quant(rng, np.int8, 32, 144, per_channel=True)
    op = qk.Conv2d(weight, padding=1, **kw)
    big = rand(rng, np.int8, (2, 12, 12, 32))
    x = big[:, ::2, ::2, ::2]  # non-contiguous NHWC input
    want = reference.conv2d(x, weight, padding=1, **kw)
    out = np.empty(want.shape, np.int8)
    assert op(x, out=out) is out
    np.testing.assert_array_equal(out, want)
    for t in (1, 2, 5):
        np.testing.assert_array_equal(op(x, threads=t), want)


def test_conv_empty_batch(rng):
    weight = rand(rng, np.int8, (4, 3, 3, 2))
    op = qk.Conv2d(weight, stride=2, padding=1, **quant(rng, np.int8, 4, 18))
    assert op(np.zeros((0, 5, 5, 2), np.int8)).shape == (0, 3, 3, 4)


# ---------------------------------------------------------------------------
# operator contract: pickling, immutability, threads, memory safety


def test_pickle_roundtrip_repacks(rng):
    w = rand(rng, np.int8, (16, 3, 3, 8))
    kw = quant(rng, np.int8, 16, 72, "gemmlowp", per_channel=True)
    b = rng.integers(-100, 100, 16).astype(np.int32)
    op = qk.Conv2d(w, b, stride=(2, 1), padding="same", **kw)
    x = rand(rng, np.int8, (1, 7, 6, 8))
    op2 = pickle.loads(pickle.dumps(op))
    assert op2 is not op and op2.kernel == op.kernel and op2.stride == (2, 1)
    np.testing.assert_array_equal(op2(x), op(x))
    lin = qk.Linear(w.reshape(16, 72), b, **kw)
    lin2 = pickle.loads(pickle.dumps(lin))
    xl = rand(rng, np.int8, (3, 72))
    np.testing.assert_array_equal(lin2(xl), lin(xl))
    assert "qk.Linear(72 -> 16" in repr(lin2)


def test_operators_are_immutable_and_copy_weights(rng):
    w = rand(rng, np.uint8, (6, 10))
    kw = quant(rng, np.uint8, 6, 10)
    op = qk.Linear(w, **kw)
    x = rand(rng, np.uint8, (2, 10))
    before = op(x)
    w[:] = 0  # the operator packed (and keeps) its own copy
    np.testing.assert_array_equal(op(x), before)
    with pytest.raises(AttributeError):
        op.kernel = "x"
    with pytest.raises(AttributeError):
        op._packed = None
    with pytest.raises(AttributeError):
        del op._packed
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(op))(x), before)


def test_concurrent_python_threads(rng):
    w = rand(rng, np.int8, (24, 3, 3, 12))
    kw = quant(rng, np.int8, 24, 108)
    op = qk.Conv2d(w, padding="same", **kw)
    inputs = [rand(rng, np.int8, (1, 6 + i % 3, 7, 12)) for i in range(8)]
    wants = [reference.conv2d(x, w, padding="same", **kw) for x in inputs]
    errors = []

    def work(i):
        try:
            for _ in range(scaled(20, 3)):
                np.testing.assert_array_equal(op(inputs[i], threads=2), wants[i])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mprotect guard pages need Linux")
def test_operator_buffers_stay_in_bounds():
    variants = len(kernels("int8")) + len(kernels("uint8"))
    # every variant: 3 conv geometries + 1 linear, both sides of the buffers
    assert run_cases("guard_cases_gemm", "gemm_operators") == variants * 4 * 2


# ---------------------------------------------------------------------------
# argument errors


def _linear_args(**over):
    args = dict(weight=np.zeros((4, 6), np.int8), bias=None, input_scale=0.1, input_zero_point=0, weight_scale=0.1,
                weight_zero_point=0, output_scale=0.5, output_zero_point=0)
    args.update(over)
    return args


@pytest.mark.parametrize("over,exc,match", [
    (dict(weight=np.zeros((4, 6), np.int16)), TypeError, "weight must have dtype"),
    (dict(weight=np.zeros((4, 6), np.float32)), TypeError, "weight"),
    (dict(weight="abc"), TypeError, "weight"),
    (dict(weight=np.zeros(6, np.int8)), ValueError, "weight must have 2 dimensions"),
    (dict(weight=np.zeros((0, 6), np.int8)), ValueError, "weight must have positive"),
    (dict(bias=np.zeros(4, np.int64)), TypeError, "bias must have dtype int32"),
    (dict(bias=np.zeros(5, np.int32)), ValueError, "bias must have shape"),
    (dict(input_scale=0.0), ValueError, "input_scale"),
    (dict(input_scale=float("nan")), ValueError, "input_scale"),
    (dict(output_scale=-1.0), ValueError, "output_scale"),
    (dict(weight_scale=[0.1, 0.2]), ValueError, "weight_scale must be a scalar or have 4"),
    (dict(weight_scale=[0.1, 0.2, 0.0, 0.1]), ValueError, "weight_scale"),
    (dict(weight_scale="x"), TypeError, "weight_scale"),
    (dict(weight_zero_point=3), ValueError, "weight_zero_point must be 0"),
    (dict(input_zero_point=128), ValueError, "input_zero_point"),
    (dict(input_zero_point=1.5), TypeError, "input_zero_point"),
    (dict(output_zero_point=-129), ValueError, "output_zero_point"),
    (dict(output_min=10, output_max=5), ValueError, "output_min"),
    (dict(output_max=300), ValueError, "output_max"),
    (dict(requantization="nearest"), ValueError, "requantization"),
    (dict(output_scale=1e-9), ValueError, "unsupported combined scale"),
    (dict(output_scale=0.005, requantization="gemmlowp"), ValueError, "unsupported combined scale"),
    (dict(kernel="no_such_kernel"), ValueError, "does not run"),
    (dict(kernel=3), TypeError, "kernel"),
    (dict(weight=np.zeros((4, 6), np.uint8), weight_scale=[0.1, 0.1, 0.1, 0.1]), ValueError, "per-tensor"),
    (dict(weight=np.zeros((4, 6), np.uint8), weight_zero_point=256), ValueError, "weight_zero_point"),
    (dict(weight=np.zeros((4, 6), np.uint8), input_zero_point=-1), ValueError, "input_zero_point"),
])
def test_linear_bad_arguments(over, exc, match):
    args = _linear_args(**over)
    with pytest.raises(exc, match=match):
        qk.Linear(args.pop("weight"), args.pop("bias"), **args)


@pytest.mark.parametrize("x,kwargs,exc,match", [
    (np.zeros((2, 6), np.uint8), {}, TypeError, "x must have dtype int8"),
    (np.zeros((2, 5), np.int8), {}, ValueError, "x must have 6 features"),
    (np.zeros((), np.int8), {}, ValueError, "x must have"),
    (np.zeros((2, 6), np.int8), dict(out=np.zeros((2, 4), np.uint8)), TypeError, "out must have dtype"),
    (np.zeros((2, 6), np.int8), dict(out=np.zeros((2, 5), np.int8)), ValueError, "out must have shape"),
    (np.zeros((2, 6), np.int8), dict(out=np.zeros((2, 8), np.int8)[:, :4]), ValueError, "C-contiguous"),
    (np.zeros((2, 6), np.int8), dict(threads=0), ValueError, "threads"),
    (np.zeros((2, 6), np.int8), dict(threads=1.5), TypeError, "threads"),
])
def test_linear_bad_calls(x, kwargs, exc, match):
    args = _linear_args()
    op = qk.Linear(args.pop("weight"), args.pop("bias"), **args)
    with pytest.raises(exc, match=match):
        op(x, **kwargs)


def test_linear_out_must_not_alias_input():
    args = _linear_args(weight=np.zeros((6, 6), np.int8))
    op = qk.Linear(args.pop("weight"), args.pop("bias"), **args)
    x = np.zeros((3, 6), np.int8)
    with pytest.raises(ValueError, match="share memory"):
        op(x, out=x)


def _conv(**over):
    args = _linear_args(weight=np.zeros((4, 3, 3, 2), np.int8))
    args.update(over)
    return qk.Conv2d(args.pop("weight"), args.pop("bias"), **args)


@pytest.mark.parametrize("over,exc,match", [
    (dict(weight=np.zeros((4, 3, 3), np.int8)), ValueError, "weight must have 4 dimensions"),
    (dict(weight=np.zeros((4, 0, 3, 2), np.int8)), ValueError, "weight must have positive"),
    (dict(stride=0), ValueError, "stride"),
    (dict(stride=(1, 2, 3)), ValueError, "stride"),
    (dict(stride=1.0), TypeError, "stride"),
    (dict(dilation=-1), ValueError, "dilation"),
    (dict(padding=-1), ValueError, "padding"),
    (dict(padding="full"), ValueError, "padding"),
    (dict(padding=None), TypeError, "padding"),
    (dict(groups=3), ValueError, "groups"),
    (dict(groups=0), ValueError, "groups"),
    (dict(weight_scale=np.full(3, 0.1)), ValueError, "weight_scale"),
])
def test_conv_bad_arguments(over, exc, match):
    with pytest.raises(exc, match=match):
        _conv(**over)


@pytest.mark.parametrize("x,exc,match", [
    (np.zeros((5, 5, 2), np.uint8), TypeError, "x must have dtype int8"),
    (np.zeros((5, 2), np.int8), ValueError, "x must have 3..4 dimensions"),
    (np.zeros((1, 5, 5, 3), np.int8), ValueError, "x must have 2 channels"),
    (np.zeros((1, 0, 5, 2), np.int8), ValueError, "positive height"),
    (np.zeros((1, 2, 5, 2), np.int8), ValueError, "smaller than the dilated kernel"),
])
def test_conv_bad_inputs(x, exc, match):
    with pytest.raises(exc, match=match):
        _conv()(x)


def test_conv_groups_input_channels(rng):
    op = _conv(weight=np.zeros((4, 3, 3, 2), np.int8), groups=2)  # expects Cin = 4
    assert op(np.zeros((5, 5, 4), np.int8)).shape == (3, 3, 4)
    with pytest.raises(ValueError, match="x must have 4 channels"):
        op(np.zeros((5, 5, 2), np.int8))


# ---------------------------------------------------------------------------
# repeat calls (the cached path of an input shape already run, qkernels._validate.CallCache)

from qkernels import _validate as V  # noqa: E402
from repeat_calls import check_repeat_calls  # noqa: E402


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ["pointwise", "grouped_pointwise", "igemm", "im2col"])
def test_conv_repeated_calls_fast_path_still_validates(dtype, case, rng):
    cin, cout, k, conv_kw = {"pointwise": (24, 16, 1, {}),
                             "grouped_pointwise": (24, 16, 1, dict(groups=4)),
                             "igemm": (16, 24, 3, dict(stride=2, padding="same")),
                             "im2col": (3, 16, 3, dict(stride=2, padding=1))}[case]
    groups = conv_kw.get("groups", 1)
    w = rand(rng, dtype, (cout, k, k, cin // groups))
    b = rng.integers(-1000, 1000, cout).astype(np.int32)
    kw = quant(rng, dtype, cout, k * k * cin // groups)
    op = qk.Conv2d(w, b, **conv_kw, **kw)
    assert op._pointwise == case.endswith("pointwise") and op._im2col == (case == "im2col")
    x = rand(rng, dtype, (2, 7, 9, cin))
    want = reference.conv2d(x, w, b, **conv_kw, **kw)
    np.testing.assert_array_equal(op(x), want)
    np.testing.assert_array_equal(op(x), want)  # the cached path
    np.testing.assert_array_equal(op(x[1]), want[1])  # 3-D: another shape, then cached too
    np.testing.assert_array_equal(op(x[1]), want[1])
    others = [(rand(rng, dtype, (1, 5 + i, 6, cin)),) for i in range(V.CALL_CACHE_SIZE + 2)]
    check_repeat_calls(op, (x,), others, rng)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_repeated_calls_fast_path_still_validates(dtype, rng):
    w = rand(rng, dtype, (40, 72))
    b = rng.integers(-1000, 1000, 40).astype(np.int32)
    kw = quant(rng, dtype, 40, 72, per_channel=dtype == "int8")
    op = qk.Linear(w, b, **kw)
    x = rand(rng, dtype, (3, 72))
    want = reference.linear(x, w, b, **kw)
    np.testing.assert_array_equal(op(x), want)
    np.testing.assert_array_equal(op(x), want)
    np.testing.assert_array_equal(op(x[0]), want[0])  # 1-D
    np.testing.assert_array_equal(op(x[0]), want[0])
    assert op(x[:0]).shape == (0, 40) and op(x[:0]).shape == (0, 40)  # empty: nothing to run, nothing cached
    others = [(rand(rng, dtype, (1 + i, 72)),) for i in range(V.CALL_CACHE_SIZE + 2)]
    check_repeat_calls(op, (x,), others, rng)

