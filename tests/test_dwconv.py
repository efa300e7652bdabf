"""Depthwise convolution: every variant equals the scalar twin and the numpy
reference bit for bit; packing and indirection layouts; memory safety against
guard pages; the operator's argument checking, threads, pickling."""
import pickle
import threading

import numpy as np
import pytest

import qkernels as qk
from qkernels import _ext, reference
from conftest import scaled
from guard import run_cases

DTYPES = ("int8", "uint8")
MODES = ("fp32", "gemmlowp")


def families(dtype):
    p = "qs8" if dtype == "int8" else "qu8"
    return (p + "_dwconv9", p + "_dwconv25")


def rand_q(rng, shape, dtype):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


def zero_points(dtype):
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    return [0 if dtype == "int8" else 128, lo, hi, (lo + hi) // 2 + 5]


def make_op(rng, dtype, c, kh, kw, *, stride=1, padding=0, dilation=1, mode="fp32", zp_in=None, zp_w=None,
            zp_out=None, clamp=(None, None), per_channel=None, weight=None, bias="random", symmetric=None):
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    w = rand_q(rng, (kh, kw, c), dtype) if weight is None else weight
    if symmetric is None:
        symmetric = rng.random() < 0.5
    if weight is None and dtype == "int8" and symmetric:
        # TFLite's symmetric int8 weights: qs8 3x3-class kernels then also
        # run the int8-weight (mul8) family; otherwise make sure a -128 is in
        # (no mul8 family), so both operator paths are swept
        w = np.maximum(w, -127).astype(np.int8)
    elif weight is None and dtype == "int8":
        w.reshape(-1)[int(rng.integers(w.size))] = -128
    if isinstance(bias, str):
        bias = rng.integers(-50000, 50000, size=c).astype(np.int32) if rng.random() < 0.8 else None
    signed = dtype == "int8"
    if per_channel is None:
        per_channel = signed and rng.random() < 0.5
    # A random output scale: real multipliers from ~1/32 to ~1/8000 of the
    # accumulator, so some cases saturate and most spread over the range.
    in_scale, out_scale = 0.02, 0.02 * 0.05 * 2 ** rng.uniform(5, 13)
    # per-channel scales spanning 2^-2..2^2: different gemmlowp shifts per channel
    w_scale = rng.uniform(0.03, 0.06, size=c) * 2.0 ** rng.integers(-2, 3, size=c) if per_channel else 0.05
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, input_scale=in_scale,
                  input_zero_point=int(rng.choice(zero_points(dtype))) if zp_in is None else zp_in,
                  weight_scale=w_scale,
                  weight_zero_point=0 if signed else (int(rng.integers(lo, hi + 1)) if zp_w is None else zp_w),
                  output_scale=out_scale,
                  output_zero_point=int(rng.choice(zero_points(dtype))) if zp_out is None else zp_out,
                  output_min=clamp[0], output_max=clamp[1], requantization=mode)
    return qk.DepthwiseConv2d(w, bias, **kwargs), (w, bias, kwargs)


def op_families(op, w):
    """The families the operator may run: the int16 one, plus the int8-weight
    (mul8) one for qs8 9-tap weights in [-127, 127]."""
    fams = op._families
    mul8 = w.dtype == np.int8 and w.shape[0] * w.shape[1] <= 9 and int(w.min()) > -128
    assert fams == ((op._families[0], op._families[0] + "_mul8") if mul8 else (op._families[0],))
    assert op._family in fams
    return fams


def check_all_variants(op, args, x, label=""):
    """Reference == every usable variant of every family the operator may
    use (scalar twins included); returns the variant count."""
    w, bias, kwargs = args
    want = reference.depthwise_conv2d(x, w, bias, **kwargs)
    count = 0
    for family in op_families(op, w):
        names = _ext.variants(family)
        assert names[-1].endswith("__scalar")
        for name in names:
            got = op._run(x, None, 1, name)
            np.testing.assert_array_equal(got, want, err_msg=f"{name} {label}")
        count += len(names)
    np.testing.assert_array_equal(op(x), want, err_msg=f"selected {label}")
    return count


def random_case(rng, dtype, c, w_range=(1, 20), h_range=(1, 8), kernels=((3, 3), (5, 5))):
    kh, kw = kernels[int(rng.integers(len(kernels)))]
    stride = int(rng.choice([1, 2, 1]))
    padding = [0, 1, 2, "same", (1, 2)][int(rng.integers(5))]
    dilation = 1 if rng.random() < 0.75 else 2
    mode = MODES[int(rng.integers(2))]
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    clamp = [(None, None), (lo + 20, hi - 30), (0 if dtype == "uint8" else -5, 6 if dtype == "int8" else 60)][
        int(rng.integers(3))]
    ekh, ekw = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
    ph = 0 if padding == "same" else (padding[0] if isinstance(padding, tuple) else padding)
    pw = 0 if padding == "same" else (padding[1] if isinstance(padding, tuple) else padding)
    h = max(int(rng.integers(*h_range, endpoint=True)), ekh - 2 * ph)
    width = max(int(rng.integers(*w_range, endpoint=True)), ekw - 2 * pw)
    n = int(rng.integers(1, 3))
    op, args = make_op(rng, dtype, c, kh, kw, stride=stride, padding=padding, dilation=dilation, mode=mode,
                       clamp=clamp)
    x = rand_q(rng, (n, h, width, c), dtype)
    label = f"C={c} {kh}x{kw} s={stride} p={padding} d={dilation} {mode} x={x.shape} clamp={clamp}"
    return op, args, x, label


@pytest.mark.parametrize("dtype", DTYPES)
def test_channels_1_to_40(dtype, rng):
    """Every channel count 1..40 (all tails of 8/16-channel blocks), random geometry."""
    for c in range(1, 41, scaled(1, 3)):
        op, args, x, label = random_case(rng, dtype, c)
        check_all_variants(op, args, x, label)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride", [1, 2])
def test_widths_1_to_20(dtype, stride, rng):
    """Every output row length (multi-pixel passes and their remainders), 3x3 and 5x5."""
    for width in range(1, 21, scaled(1, 2)):
        for kh in (3, 5):
            c = int(rng.choice([8, 16, 24, 5, 19]))
            op, args = make_op(rng, dtype, c, kh, kh, stride=stride, padding=kh // 2, mode=MODES[width % 2])
            x = rand_q(rng, (1, 3, width, c), dtype)
            check_all_variants(op, args, x, f"W={width} k={kh} s={stride} C={c}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_large_channels(dtype, mode, rng):
    c = scaled(960, 200) + 3
    for kh, stride in ((3, 1), (3, 2), (5, 1)):
        op, args = make_op(rng, dtype, c, kh, kh, stride=stride, padding="same", mode=mode)
        x = rand_q(rng, (1, scaled(7, 4), scaled(9, 5), c), dtype)
        check_all_variants(op, args, x, f"C={c} k={kh} s={stride}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride", [1, 2])
def test_long_rows_and_wide_windows(dtype, stride, rng):
    """Rows longer than one 64-pixel chunk of the x86 kernels (chunk edges),
    and 3x3 rows whose 3-row input window is cut into L1-sized chunks."""
    cases = [(16, w) for w in (63, 64, 65, 129)[::scaled(1, 2)]] + [(40, 66), (200, 50), (104, 60)]
    for i, (c, width) in enumerate(cases):
        op, args = make_op(rng, dtype, c, 3, 3, stride=stride, padding=(1, int(rng.integers(0, 2))),
                           mode=MODES[i % 2])
        x = rand_q(rng, (1, 3, (width - 1) * stride + 2, c), dtype)
        check_all_variants(op, args, x, f"W={width} s={stride} C={c}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_paddings_dilations_and_odd_kernels(dtype, rng):
    """Kernels that do not fill the 9/25 taps (zero-weight taps), dilation 2, asymmetric 'same'."""
    kernels = [(1, 1), (1, 3), (3, 1), (2, 2), (2, 3), (3, 3), (4, 4), (5, 5), (1, 5), (3, 5), (5, 2)]
    for kh, kw in kernels[::scaled(1, 2)]:
        for padding in (0, 1, 2, "same"):
            for dilation in (1, 2):
                stride = int(rng.integers(1, 3))
                c = int(rng.integers(1, 25))
                ekh, ekw = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
                op, args = make_op(rng, dtype, c, kh, kw, stride=stride, padding=padding, dilation=dilation,
                                   mode=MODES[int(rng.integers(2))])
                x = rand_q(rng, (1, ekh + int(rng.integers(0, 4)), ekw + int(rng.integers(0, 6)), c), dtype)
                check_all_variants(op, args, x, f"{kh}x{kw} p={padding} d={dilation} s={stride}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_zero_points_and_clamps(dtype, mode, rng):
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    clamps = [(None, None), (lo + 10, hi - 3), (hi - 1, hi), (lo, lo), (0 if dtype == "uint8" else 0, 6)]
    for zp_in in zero_points(dtype):
        for zp_out in zero_points(dtype)[::scaled(1, 2)]:
            for clamp in clamps[::scaled(1, 2)]:
                c = int(rng.integers(1, 35))
                zp_w = None if dtype == "int8" else int(rng.choice([0, 255, 128, 7]))
                op, args = make_op(rng, dtype, c, 3, 3, stride=1, padding=1, mode=mode, zp_in=zp_in,
                                   zp_out=zp_out, zp_w=zp_w, clamp=clamp)
                x = rand_q(rng, (1, 4, int(rng.integers(1, 9)), c), dtype)
                check_all_variants(op, args, x, f"zp_in={zp_in} zp_out={zp_out} clamp={clamp}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_extreme_values_are_exact(dtype, mode, rng):
    """Saturating inputs and weights (int8 -128, uint8 0/255 with far zero points),
    accumulators near the int32 limits (the bias fold wraps like the int32 adds)."""
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    c = 21
    for kh in (3, 5):
        for wv, xv, zp_in, zp_w in [(lo, lo, hi, hi), (hi, hi, lo, lo), (lo, hi, lo, hi), (hi, lo, hi, lo)]:
            w = np.full((kh, kh, c), wv, dtype)
            w[0, 0, ::2] = hi if wv == lo else lo
            bias = np.array([2**31 - 1, -(2**31), 2**31 - 100000, -(2**31) + 5000] * 6, np.int64)[:c]
            bias = bias.astype(np.int32)
            zp_w = zp_w if dtype == "uint8" else 0
            op, args = make_op(rng, dtype, c, kh, kh, padding=1, mode=mode, zp_in=int(zp_in), zp_w=int(zp_w),
                               weight=w, bias=bias, zp_out=0 if dtype == "int8" else 128)
            x = np.full((1, kh + 1, 7, c), xv, dtype)
            check_all_variants(op, args, x, f"w={wv} x={xv}")


@pytest.mark.parametrize("mode", MODES)
def test_extreme_values_int8_weights(mode, rng):
    """The int8-weight (mul8) kernels at their limits: weights +-127, inputs
    -128/127, far zero points, biases near the int32 limits: the largest int16
    pair sums (+-32512) and wrapping accumulators stay exact."""
    c = 37
    for wv, xv, zp_in in [(-127, -128, 127), (127, -128, -128), (-127, 127, -128), (127, 127, 127)]:
        w = np.full((3, 3, c), wv, np.int8)
        w[1, :, ::3] = -wv
        bias = np.array([2**31 - 1, -(2**31), 2**31 - 100000, -(2**31) + 5000] * 10, np.int64)[:c]
        op, args = make_op(rng, "int8", c, 3, 3, padding=1, mode=mode, zp_in=zp_in, weight=w,
                           bias=bias.astype(np.int32), zp_out=0)
        assert op._families == ("qs8_dwconv9", "qs8_dwconv9_mul8")
        for width in (1, 5, 7):
            x = np.full((1, 4, width, c), xv, np.int8)
            x[0, 1, ::2, ::5] = -1 - xv  # both signs in one window
            check_all_variants(op, args, x, f"w={wv} x={xv} W={width}")


def test_int8_weight_kernels_are_chosen():
    """qs8 weights in [-127, 127] select the int8-weight family where it has a
    SIMD variant; one -128 keeps the int16 family; qu8 and 5x5 never use it."""
    kw = dict(input_scale=0.1, input_zero_point=0, weight_scale=0.05, output_scale=0.2, output_zero_point=0)
    w = np.full((3, 3, 8), -127, np.int8)
    op = qk.DepthwiseConv2d(w, **kw)
    simd = not _ext.selected("qs8_dwconv9_mul8").endswith("__scalar")
    if simd or _ext.selected("qs8_dwconv9").endswith("__scalar"):
        assert op.kernel == _ext.selected("qs8_dwconv9_mul8") and op.kernel.startswith("qs8_dwconv_mul8_")
    else:
        assert op.kernel == _ext.selected("qs8_dwconv9")
    if _ext.arch() in ("aarch64", "armv7") and "neon" in _ext.variants("qs8_dwconv9")[0]:
        assert op.kernel.startswith("qs8_dwconv_mul8_ukernel_up16x9")
    w[2, 1, 5] = -128
    assert qk.DepthwiseConv2d(w, **kw).kernel == _ext.selected("qs8_dwconv9")
    assert qk.DepthwiseConv2d(np.zeros((5, 5, 8), np.int8), **kw).kernel == _ext.selected("qs8_dwconv25")
    kw_u = dict(kw, input_zero_point=128, output_zero_point=128, weight_zero_point=1)
    assert qk.DepthwiseConv2d(np.ones((3, 3, 8), np.uint8), **kw_u).kernel == _ext.selected("qu8_dwconv9")


@pytest.mark.parametrize("stride", [1, 2])
def test_multi_pixel_windows_match(stride, rng):
    """Long 3x3 rows with padding in every position of the multi-pixel
    window (3 pixels: 3x5 columns at stride 1, 3x7 at stride 2)."""
    for dtype in DTYPES:
        for width in (3, 4, 5, 6, 7, 31, 32, 33):
            op, args = make_op(rng, dtype, 24, 3, 3, stride=stride, padding=(1, int(rng.integers(0, 3))))
            x = rand_q(rng, (1, 5, (width - 1) * stride + 3 + int(rng.integers(0, 2)), 24), dtype)
            check_all_variants(op, args, x, f"W={width} s={stride}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stride", [1, 2])
def test_int8_weight_rows_chunks_and_clamps(mode, stride, rng):
    """The int8-weight row paths of stride 1 and 2: rows of several pointer
    chunks (16 passes of 3 or 2 pixels) with pixels left over, channel tails,
    and both narrowings -- the whole-range clamp (no clamp instructions) and
    real clamps, including ones a single LSB inside the range."""
    clamps = [(None, None), (-128, 127), (-127, 127), (-128, 126), (-5, 6)]
    cases = [(47, 16), (48, 24), (49, 40), (96, 16), (100, 33), (146, 8)]
    for i, (width, c) in enumerate(cases[::scaled(1, 2)]):
        for clamp in clamps[i % 2::scaled(1, 2)]:
            op, args = make_op(rng, "int8", c, 3, 3, stride=stride, padding=(1, int(rng.integers(0, 2))),
                               mode=mode, clamp=clamp, symmetric=True)
            # the int8-weight family is a candidate everywhere (chosen only
            # where it has a SIMD variant: Arm); check_all_variants runs both
            assert op._families[-1].endswith("_mul8")
            x = rand_q(rng, (1, 3, (width - 1) * stride + 2 + int(rng.integers(0, 2)), c), "int8")
            check_all_variants(op, args, x, f"W={width} s={stride} C={c} clamp={clamp} {mode}")


def test_threads_batch_and_out(rng):
    op, args = make_op(rng, "int8", 37, 3, 3, stride=1, padding=1)
    x = rand_q(rng, (3, 11, 13, 37), "int8")
    want = reference.depthwise_conv2d(x, args[0], args[1], **args[2])
    for t in (1, 2, 3, 7):
        np.testing.assert_array_equal(op(x, threads=t), want)
    out = np.empty_like(want)
    assert op(x, out=out) is out
    np.testing.assert_array_equal(out, want)
    # single image, HWC
    np.testing.assert_array_equal(op(x[1]), want[1])
    # non-contiguous input is accepted
    xs = np.ascontiguousarray(np.repeat(x, 2, axis=2))[:, :, ::2, :]
    np.testing.assert_array_equal(op(xs), want)
    # empty batch
    assert op(x[:0]).shape == (0, 11, 13, 37)


def test_concurrent_python_threads_and_pickle(rng):
    op, args = make_op(rng, "uint8", 19, 3, 3, stride=2, padding="same")
    xs = [rand_q(rng, (1, 9 + i, 10, 19), "uint8") for i in range(4)]
    wants = [reference.depthwise_conv2d(x, args[0], args[1], **args[2]) for x in xs]
    errors = []

    def work(i):
        try:
            for _ in range(scaled(20, 3)):
                np.testing.assert_array_equal(op(xs[i], threads=2), wants[i])
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    op2 = pickle.loads(pickle.dumps(op))
    for x, want in zip(xs, wants):
        np.testing.assert_array_equal(op2(x), want)
    assert repr(op2) == repr(op)


def test_immutable(rng):
    op, _ = make_op(rng, "int8", 4, 3, 3)
    with pytest.raises(AttributeError):
        op.stride = 2
    with pytest.raises(AttributeError):
        del op.channels
    p = op._packed_for(None)
    with pytest.raises(ValueError):
        p[0] = 1


def test_packed_layout_bytes():
    """A hand-derived small case: qu8, 2x2 kernel (KH=2, KW=2) in a 9-tap
    variant, C = 3 (one block of 8, 5 padding channels)."""
    c = 3
    w = np.array([[[10, 20, 30], [11, 21, 31]],
                  [[12, 22, 32], [13, 23, 33]]], np.uint8)  # [ky][kx][c]
    wzp, izp = 20, 4
    bias = np.array([100, -200, 300], np.int32)
    scale = np.array([0.5, 0.25, 0.125], np.float32)
    packed = np.empty(_ext.dwconv_packed_bytes(c, 8, 9, 1, "fp32") // 4, np.int32).view(np.uint8)
    _ext.dwconv_pack(w.reshape(-1), 2, 2, c, 8, 9, 1, False, wzp, izp, bias, "fp32", scale, None, None, packed)
    # taps column-major: t = kx*KH + ky -> w[ky=0,kx=0], w[1,0], w[0,1], w[1,1]
    taps = [w[0, 0], w[1, 0], w[0, 1], w[1, 1]]
    wq = np.zeros((9, 8), np.int16)
    for t, v in enumerate(taps):
        wq[t, :c] = v.astype(np.int16) - wzp
    # channel 0: w' = -10, -8, -9, -7 (sum -34): bias 100 - 4*(-34) = 236
    b = np.zeros(8, np.int32)
    b[:c] = bias - izp * wq[:4, :c].sum(axis=0)
    assert b[0] == 236 and wq[1, 0] == -8 and wq[2, 2] == 11
    s = np.zeros(8, np.float32)
    s[:c] = scale
    want = b.tobytes() + wq.tobytes() + s.tobytes()
    assert len(want) == 8 * 4 + 9 * 8 * 2 + 8 * 4
    assert packed.tobytes() == want

    # sr = 2 (x86): taps in pairs, the pair's two weights adjacent per channel; 9 taps -> 5 pairs
    packed2 = np.empty(_ext.dwconv_packed_bytes(c, 8, 9, 2, "fp32") // 4, np.int32).view(np.uint8)
    _ext.dwconv_pack(w.reshape(-1), 2, 2, c, 8, 9, 2, False, wzp, izp, bias, "fp32", scale, None, None, packed2)
    wq10 = np.zeros((10, 8), np.int16)
    wq10[:9] = wq
    pairs = wq10.reshape(5, 2, 8).transpose(0, 2, 1)  # [pair][channel][2]
    assert packed2.tobytes() == b.tobytes() + np.ascontiguousarray(pairs).tobytes() + s.tobytes()

    # gemmlowp data: multiplier, shift, rounding = 2^(shift-1), pow = 2^(31-shift)
    mult = np.array([1 << 30, 1518500250, 2**31 - 1], np.int32)
    shift = np.array([0, 1, 31], np.int32)
    packed3 = np.empty(_ext.dwconv_packed_bytes(c, 8, 9, 1, "gemmlowp") // 4, np.int32).view(np.uint8)
    _ext.dwconv_pack(w.reshape(-1), 2, 2, c, 8, 9, 1, False, wzp, izp, bias, "gemmlowp", None, mult, shift, packed3)
    rq = np.zeros((4, 8), np.uint32)
    rq[0, :c] = mult.view(np.uint32)
    rq[1, :c] = shift
    rq[2, :c] = [0, 1, 1 << 30]
    rq[3, :c] = [1 << 31, 1 << 30, 1]
    assert packed3.tobytes() == b.tobytes() + wq.tobytes() + rq.tobytes()


def test_packed_layout_bytes_int8_weights():
    """The int8-weight layout by hand: qs8 3x2 kernel in 9 taps, C = 19 in blocks
    of 16 (13 padding channels in the second), both requantization modes."""
    c, kh, kw, cr = 19, 3, 2, 16
    rng = np.random.default_rng(5)
    w = rng.integers(-127, 128, (kh, kw, c)).astype(np.int8)
    izp = -7
    bias = rng.integers(-1000, 1000, c).astype(np.int32)
    scale = rng.uniform(0.1, 1.0, c).astype(np.float32)
    mult = rng.integers(1 << 30, 2**31 - 1, c).astype(np.int32)
    shift = rng.integers(0, 32, c).astype(np.int32)
    for mode in MODES:
        n = _ext.dwconv_packed_bytes(c, cr, 9, 1, mode, True)
        per = 16 * 4 + 144 + (16 * 4 if mode == "fp32" else 16 * 16)
        assert n == 2 * per
        packed = np.empty(n // 4, np.int32).view(np.uint8)
        _ext.dwconv_pack(w.reshape(-1).view(np.uint8), kh, kw, c, cr, 9, 1, True, 0, izp, bias, mode,
                         scale if mode == "fp32" else None, mult, shift, packed, True)
        want = b""
        for c0 in (0, 16):
            ch = np.arange(c0, min(c0 + 16, c))
            taps = np.zeros((9, 16), np.int8)
            for kx in range(kw):
                for ky in range(kh):
                    taps[kx * kh + ky, :len(ch)] = w[ky, kx, ch]  # t = kx*KH + ky
            b = np.zeros(16, np.int32)
            b[:len(ch)] = bias[ch] - izp * taps[:, :len(ch)].astype(np.int32).sum(axis=0)
            if mode == "fp32":
                rq = np.zeros(16, np.float32)
                rq[:len(ch)] = scale[ch]
            else:
                rq = np.zeros((4, 16), np.uint32)
                rq[0, :len(ch)] = mult[ch].view(np.uint32)
                rq[1, :len(ch)] = shift[ch]
                rq[2, :len(ch)] = [0 if e == 0 else 1 << (e - 1) for e in shift[ch]]
                rq[3, :len(ch)] = [1 << (31 - e) for e in shift[ch]]
            want += b.tobytes() + taps.tobytes() + rq.tobytes()
        assert packed.tobytes() == want, mode
    # a -128 weight (or a qu8 / nonzero-zero-point request) is refused
    w2 = w.copy()
    w2[1, 1, 3] = -128
    packed = np.empty(_ext.dwconv_packed_bytes(c, cr, 9, 1, "fp32", True) // 4, np.int32).view(np.uint8)
    with pytest.raises(ValueError, match="-127, 127"):
        _ext.dwconv_pack(w2.reshape(-1).view(np.uint8), kh, kw, c, cr, 9, 1, True, 0, izp, bias, "fp32", scale,
                         None, None, packed, True)
    with pytest.raises(ValueError, match="qs8"):
        _ext.dwconv_pack(w.reshape(-1).view(np.uint8), kh, kw, c, cr, 9, 1, False, 0, izp, bias, "fp32", scale,
                         None, None, packed, True)


def test_indirection_layout():
    # 3x3, stride 1, pad 1, 2x3 input, C=4: compact rows of (3 + 2) columns x 3 rows
    geom = (2, 3, 4, 3, 3, 9, 1, 1, 1, 1, 1, 1, 2, 3)
    step, row_entries = _ext.dwconv_indirection_layout(geom)
    assert (step, row_entries) == (3, 15)
    ind = np.frombuffer(_ext.DwconvIndirection(geom).tobytes(), np.uintp)
    Z = np.iinfo(np.uintp).max
    off = lambda y, x: (y * 3 + x) * 4  # noqa: E731
    row0 = [Z, Z, Z,  Z, off(0, 0), off(1, 0),  Z, off(0, 1), off(1, 1),  Z, off(0, 2), off(1, 2),  Z, Z, Z]
    row1 = [Z, Z, Z,  off(0, 0), off(1, 0), Z,  off(0, 1), off(1, 1), Z,  off(0, 2), off(1, 2), Z,  Z, Z, Z]
    assert ind.tolist() == row0 + row1
    # dilation 2 is not compact: 9 entries per pixel; 2x2 kernel in 9 taps pads with the zero row
    geom = (3, 3, 1, 2, 2, 9, 1, 1, 2, 2, 0, 0, 1, 1)
    assert _ext.dwconv_indirection_layout(geom) == (9, 9)
    ind = np.frombuffer(_ext.DwconvIndirection(geom).tobytes(), np.uintp)
    assert ind.tolist() == [0, 6, 2, 8, Z, Z, Z, Z, Z]


# ---- memory safety: buffers against PROT_NONE guard pages ----

def test_dwconv_kernels_stay_in_bounds():
    """Every variant reads only the input rows, zero row and packed weights it
    is given and writes only the output (sweep: guard_dwconv.py, in a child
    process so a fault names its case)."""
    # dtypes x channels x kernels x widths x sides, times the variants (>= 1)
    assert run_cases("guard_dwconv", "dwconv") >= scaled(2 * 7 * 5 * 3 * 2, 2 * 4 * 5 * 2 * 2)


# ---- argument checking ----

def _base_kwargs():
    return dict(input_scale=0.1, input_zero_point=0, weight_scale=0.05, output_scale=0.2, output_zero_point=0)


@pytest.mark.parametrize("weight,bias,kwargs,exc,match", [
    (np.zeros((3, 3, 4), np.int16), None, {}, TypeError, "weight must have dtype"),
    (np.zeros((3, 3, 4), np.float32), None, {}, TypeError, "weight"),
    ("w", None, {}, TypeError, "weight"),
    (np.zeros((3, 4), np.int8), None, {}, ValueError, "weight must have 3 dimensions"),
    (np.zeros((3, 3, 0), np.int8), None, {}, ValueError, "weight"),
    (np.zeros((7, 7, 4), np.int8), None, {}, ValueError, "weight: a 7x7 kernel"),
    (np.zeros((3, 3, 4), np.int8), np.zeros(4, np.int64), {}, TypeError, "bias must have dtype int32"),
    (np.zeros((3, 3, 4), np.int8), np.zeros(5, np.int32), {}, ValueError, "bias must have shape"),
    (np.zeros((3, 3, 4), np.int8), None, dict(stride=0), ValueError, "stride"),
    (np.zeros((3, 3, 4), np.int8), None, dict(stride=(1, 2, 3)), ValueError, "stride"),
    (np.zeros((3, 3, 4), np.int8), None, dict(stride=1.5), TypeError, "stride"),
    (np.zeros((3, 3, 4), np.int8), None, dict(stride="2"), TypeError, "stride"),
    (np.zeros((3, 3, 4), np.int8), None, dict(dilation=0), ValueError, "dilation"),
    (np.zeros((3, 3, 4), np.int8), None, dict(dilation=2**40), ValueError, "dilation"),
    (np.zeros((3, 3, 4), np.int8), None, dict(padding=(1, 70000)), ValueError, "padding"),
    (np.zeros((3, 3, 4), np.int8), None, dict(padding=-1), ValueError, "padding"),
    (np.zeros((3, 3, 4), np.int8), None, dict(padding="full"), ValueError, "padding"),
    (np.zeros((3, 3, 4), np.int8), None, dict(padding=(1,)), ValueError, "padding"),
    (np.zeros((3, 3, 4), np.int8), None, dict(input_scale=0.0), ValueError, "input_scale"),
    (np.zeros((3, 3, 4), np.int8), None, dict(input_scale=float("nan")), ValueError, "input_scale"),
    (np.zeros((3, 3, 4), np.int8), None, dict(output_scale=-1.0), ValueError, "output_scale"),
    (np.zeros((3, 3, 4), np.int8), None, dict(weight_scale=[0.1, 0.2]), ValueError, "weight_scale"),
    (np.zeros((3, 3, 4), np.int8), None, dict(weight_scale=[0.1, 0.2, 0.0, 0.1]), ValueError, "weight_scale"),
    (np.zeros((3, 3, 4), np.uint8), None, dict(weight_scale=[0.1] * 4), TypeError, "weight_scale"),
    (np.zeros((3, 3, 4), np.int8), None, dict(weight_zero_point=3), ValueError, "weight_zero_point"),
    (np.zeros((3, 3, 4), np.uint8), None, dict(weight_zero_point=256), ValueError, "weight_zero_point"),
    (np.zeros((3, 3, 4), np.int8), None, dict(input_zero_point=128), ValueError, "input_zero_point"),
    (np.zeros((3, 3, 4), np.uint8), None, dict(output_zero_point=-1), ValueError, "output_zero_point"),
    (np.zeros((3, 3, 4), np.int8), None, dict(output_zero_point=0.5), TypeError, "output_zero_point"),
    (np.zeros((3, 3, 4), np.int8), None, dict(output_min=10, output_max=5), ValueError, "output_min"),
    (np.zeros((3, 3, 4), np.int8), None, dict(output_max=300), ValueError, "output_max"),
    (np.zeros((3, 3, 4), np.int8), None, dict(requantization="x"), ValueError, "requantization"),
    (np.zeros((3, 3, 4), np.int8), None, dict(output_scale=1e-6), ValueError, "unsupported combined scale"),
    (np.zeros((3, 3, 4), np.int8), None, dict(output_scale=1e-3, requantization="gemmlowp"), ValueError,
     "unsupported combined scale"),
])
def test_bad_constructor_arguments(weight, bias, kwargs, exc, match):
    args = _base_kwargs()
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        qk.DepthwiseConv2d(weight, bias, **args)


def test_bad_call_arguments():
    op = qk.DepthwiseConv2d(np.ones((3, 3, 4), np.int8), **_base_kwargs())
    x = np.zeros((1, 5, 5, 4), np.int8)
    cases = [
        (dict(x=x.astype(np.uint8)), TypeError, "x must have dtype int8"),
        (dict(x=x.astype(np.float32)), TypeError, "x"),
        (dict(x=np.zeros((5, 4), np.int8)), ValueError, "x must have 3..4 dimensions"),
        (dict(x=np.zeros((1, 5, 5, 3), np.int8)), ValueError, "x must have 4 channels"),
        (dict(x=np.zeros((1, 0, 5, 4), np.int8)), ValueError, "x must have a non-empty"),
        (dict(x=np.zeros((1, 2, 5, 4), np.int8)), ValueError, "x spatial size"),
        (dict(out=np.empty((1, 3, 3, 4), np.uint8)), TypeError, "out must have dtype"),
        (dict(out=np.empty((1, 3, 4, 4), np.int8)), ValueError, "out must have shape"),
        (dict(out=np.empty((1, 3, 3, 8), np.int8)[..., ::2]), ValueError, "C-contiguous"),
        (dict(threads=0), ValueError, "threads"),
        (dict(threads="2"), TypeError, "threads"),
    ]
    for kwargs, exc, match in cases:
        args = dict(x=x)
        args.update(kwargs)
        with pytest.raises(exc, match=match):
            op(args.pop("x"), **args)
    with pytest.raises(ValueError, match="does not run"):
        op._run(x, None, 1, "no_such_kernel")
    # out aliasing the input
    buf = np.zeros((1, 5, 5, 4), np.int8)
    op_same = qk.DepthwiseConv2d(np.ones((3, 3, 4), np.int8), padding=1, **_base_kwargs())
    with pytest.raises(ValueError, match="share memory"):
        op_same(buf, out=buf)


def test_low_level_checks_reject_inconsistent_buffers(rng):
    """The binding re-checks sizes, so even a wrong internal call cannot go out of bounds."""
    op, args = make_op(rng, "int8", 5, 3, 3, padding=1)
    x = rand_q(rng, (1, 4, 4, 5), "int8")
    geom, _, ind = op._geometry_for(4, 4)
    packed = op._packed_for(None)
    out = np.empty(4 * 4 * 5, np.uint8)
    xb = x.reshape(-1).view(np.uint8)
    ok = dict(indirection=ind, input=xb, zero=op._zero, packed=packed, output=out, zp=0, qmin=-128)

    def run(**kw):
        a = dict(ok, **kw)
        _ext.dwconv_run(op._family, None, a["indirection"], 1, a["input"], a["zero"], a["packed"],
                        a["output"], "fp32", a["zp"], a["qmin"], -a["qmin"] - 1, 1)

    run()
    other = _ext.DwconvIndirection((4, 5, 5, 3, 3, 9, 1, 1, 1, 1, 1, 1, 4, 5))  # another input shape
    for kw, match in [(dict(input=xb[:-1]), "input"), (dict(output=out[:-1]), "output"),
                      (dict(zero=op._zero[:2]), "zero"), (dict(packed=packed[:-4]), "packed"),
                      (dict(packed=np.empty(packed.size + 1, np.uint8)[1:]), "aligned"),
                      (dict(indirection=other), "input"), (dict(indirection=None), "indirection"),
                      (dict(zp=200), "zero_point"), (dict(qmin=-129), "qmin")]:
        with pytest.raises((ValueError, TypeError), match=match):
            run(**kw)
    with pytest.raises(ValueError, match="geometry"):
        _ext.DwconvIndirection((4, 4, 5, 3, 3, 9, 0, 1, 1, 1, 1, 1, 4, 4))  # stride 0


def test_simd_variants_registered():
    """The SIMD variants this machine can run are in the table (so the
    sweeps above really compare them with the scalar twin)."""
    arch, feats = _ext.arch(), qk.cpu_info()["features"]
    cap = _ext.isa_levels().index(_ext.isa_cap())
    usable = lambda isa: feats.get(isa) and _ext.isa_levels().index(isa) <= cap  # noqa: E731
    for p in ("qs8", "qu8"):
        v9, v25 = _ext.variants(p + "_dwconv9"), _ext.variants(p + "_dwconv25")
        want9, want25 = [], []
        if arch == "x86_64":
            if usable("avx512vnni"):
                want9.append(f"{p}_dwconv_ukernel_up32x9__avx512vnni")
                want25.append(f"{p}_dwconv_ukernel_up32x25__avx512vnni")
            for isa, tile in (("avx512vnni", "up16x"), ("avx2", "up16x"), ("sse41", "up8x"), ("sse2", "up8x")):
                if usable(isa):
                    want9.append(f"{p}_dwconv_ukernel_{tile}9__{isa}")
                    want25.append(f"{p}_dwconv_ukernel_{tile}25__{isa}")
        elif arch in ("aarch64", "armv7") and usable("neon"):
            if arch == "aarch64":
                want9.append(f"{p}_dwconv_ukernel_up8x9x3__neon")
            want9.append(f"{p}_dwconv_ukernel_up8x9__neon")
            want25.append(f"{p}_dwconv_ukernel_up8x25__neon")
        assert v9 == want9 + [f"{p}_dwconv_ukernel_up8x9__scalar"]
        assert v25 == want25 + [f"{p}_dwconv_ukernel_up8x25__scalar"]
    want8 = []
    if arch in ("aarch64", "armv7") and usable("neon"):
        want8.append("qs8_dwconv_mul8_ukernel_up16x9x3__neon")
        want8.append("qs8_dwconv_mul8_ukernel_up16x9__neon")
    assert _ext.variants("qs8_dwconv9_mul8") == want8 + ["qs8_dwconv_mul8_ukernel_up16x9__scalar"]
    assert [_ext.variant_info("qs8_dwconv9_mul8", n)[2:] for n in _ext.variants("qs8_dwconv9_mul8")] == \
        [(16, 9, 1)] * (len(want8) + 1)


# ---- fuzzed arguments: a result equal to the reference, or a TypeError/ValueError naming the argument ----

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

DW_ARG_NAMES = ("weight", "bias", "stride", "padding", "dilation", "input_scale", "input_zero_point", "weight_scale",
                "weight_zero_point", "output_scale", "output_zero_point", "output_min", "output_max",
                "requantization", "x", "out", "threads")
FUZZ_DTYPES = [np.int8, np.uint8, np.int16, np.float32, np.int32]
INTS = st.one_of(st.integers(-2, 4), st.sampled_from([1.5, "1", None, True, (1, 2), (0, 1), [2, 1], (1, 2, 3), 2**40]))
PADS = st.one_of(st.integers(-1, 3), st.sampled_from(["same", "valid", (1, 0), (2,), None, 1.0]))
SCALES = st.sampled_from([0.5, 0.02, 1e-3, 3.0, 0.0, -1.0, float("nan"), float("inf"), 1e-45, "x", None,
                          [0.1, 0.2], np.float64(0.1)])
ZPS = st.one_of(st.integers(-300, 300), st.sampled_from([1.5, "0", None, np.int64(3)]))


def mostly(good, bad):
    """Valid values 9 times out of 10 (hypothesis' own branch choice favours
    the bad branch), so that with 14 arguments the success path is exercised
    too, not only the first error."""
    @st.composite
    def pick(draw):
        return draw(bad) if draw(st.randoms(use_true_random=False)).random() >= 0.9 else draw(good)
    return pick()


@st.composite
def _array(draw, dtypes, ndims, lo):
    dt = np.dtype(draw(st.sampled_from(dtypes)))
    shape = tuple(draw(st.lists(st.integers(lo, 6), min_size=ndims[0], max_size=ndims[1])))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if dt.kind in "iu":
        info = np.iinfo(dt)
        arr = rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dt)
    else:
        arr = rng.standard_normal(shape).astype(dt)
    if draw(st.booleans()) and arr.ndim >= 1:
        arr = np.repeat(arr, 2, axis=-1)[..., ::2]  # strided view
    return arr


def fuzz_array(max_ndim, valid=None):
    """Mostly well-formed arrays (int8/uint8, `valid` non-empty dimensions), sometimes anything."""
    anything = _array(FUZZ_DTYPES, (0, max_ndim), 0)
    if valid is None:
        return anything
    return mostly(_array([np.int8, np.uint8], (valid, valid), 1), anything)


fuzz_calls = {"n": 0, "ok": 0}


def _check_error(e):
    assert isinstance(e, (TypeError, ValueError)), repr(e)
    assert any(name in str(e) for name in DW_ARG_NAMES), f"message names no argument: {e}"


@settings(max_examples=scaled(300, 40), deadline=None, suppress_health_check=list(HealthCheck))
@given(weight=mostly(fuzz_array(4, valid=3), st.sampled_from([None, "w", [1, 2]])),
       bias=mostly(st.none(), fuzz_array(2)), stride=mostly(st.integers(1, 3), INTS),
       padding=mostly(st.sampled_from([0, 1, 2, "same", (1, 0)]), PADS), dilation=mostly(st.integers(1, 2), INTS),
       in_scale=mostly(st.just(0.02), SCALES), in_zp=mostly(st.integers(0, 127), ZPS),
       w_scale=mostly(st.just(0.05), SCALES), w_zp=mostly(st.just(0), ZPS),
       out_scale=mostly(st.just(0.3), SCALES), out_zp=mostly(st.integers(0, 127), ZPS),
       omin=mostly(st.none(), st.integers(-200, 300)), omax=mostly(st.none(), st.integers(-200, 300)),
       mode=mostly(st.sampled_from(["fp32", "gemmlowp"]), st.just("x")), x=fuzz_array(5, valid=4),
       threads=mostly(st.sampled_from([None, 1, 3]), st.sampled_from([0, "2", 10**6])),
       out_kind=mostly(st.sampled_from([None, "right"]), st.sampled_from(["wrong_dtype", "wrong_shape", "alias",
                                                                          "readonly"])),
       x_hw=st.one_of(st.none(), st.tuples(st.integers(0, 3), st.integers(1, 9), st.integers(1, 9))))
def test_fuzz_depthwise_arguments(weight, bias, stride, padding, dilation, in_scale, in_zp, w_scale, w_zp,
                                  out_scale, out_zp, omin, omax, mode, x, threads, out_kind, x_hw):
    fuzz_calls["n"] += 1
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, input_scale=in_scale, input_zero_point=in_zp,
                  weight_scale=w_scale, weight_zero_point=w_zp, output_scale=out_scale, output_zero_point=out_zp,
                  output_min=omin, output_max=omax, requantization=mode)
    try:
        op = qk.DepthwiseConv2d(weight, bias, **kwargs)
    except Exception as e:  # noqa: BLE001
        _check_error(e)
        return
    # a valid operator: a well-formed input must work and equal the reference
    kh, kw = op.kernel_size
    (dh, dw), (ph, pw) = op.dilation, (0, 0) if op.padding == "same" else (op.padding[0], op.padding[2])
    h, w = max(1, (kh - 1) * dh + 1 - 2 * ph), max(1, (kw - 1) * dw + 1 - 2 * pw)
    if h * w <= 4096:  # the reference pads in memory: keep it small
        good = rand_q(np.random.default_rng(0), (1, h, w, op.channels), op.dtype)
        np.testing.assert_array_equal(op(good), reference.depthwise_conv2d(good, weight, bias, **kwargs))
    if x_hw is not None:  # an input matching the operator's dtype and channels, any batch and size
        x = rand_q(np.random.default_rng(1), x_hw + (op.channels,), op.dtype)
    out = None
    if out_kind is not None:
        try:
            shape = op(x).shape  # may raise for a bad x; checked below
        except Exception:  # noqa: BLE001
            shape = (1,)
        out = {"right": np.empty(shape, op.dtype), "wrong_dtype": np.empty(shape, np.int32),
               "wrong_shape": np.empty(shape + (1,), op.dtype), "alias": x,
               "readonly": np.empty(shape, op.dtype)}[out_kind]
        if out_kind == "readonly":
            out.flags.writeable = False
    try:
        y = op(x, out=out, threads=threads)
    except Exception as e:  # noqa: BLE001
        _check_error(e)
        return
    fuzz_calls["ok"] += 1
    if y.size <= 10**5:
        np.testing.assert_array_equal(y, reference.depthwise_conv2d(x, weight, bias, **kwargs))


def test_fuzz_depthwise_counted():
    # runs after the fuzzer (file order): it ran, and some calls got through to the kernels
    assert fuzz_calls["n"] >= scaled(300, 40) * 0.9
    assert fuzz_calls["ok"] >= scaled(10, 1), fuzz_calls
    print(f"depthwise fuzz: {fuzz_calls}")


def test_same_geometry_as_grouped_conv2d(rng):
    """Depthwise is Conv2d with groups = C: the two references (and padding
    conventions, 'same' with odd totals included) agree."""
    for dtype in DTYPES:
        for kh, kw, stride, padding, dilation in [(3, 3, 1, 1, 1), (3, 3, 2, "same", 1), (5, 5, 2, "same", 1),
                                                  (3, 3, (2, 1), (0, 2), (1, 2)), (2, 3, 3, "same", 2),
                                                  (3, 3, 1, "valid", 1)]:
            c = int(rng.integers(1, 20))
            op, (w, bias, kwargs) = make_op(rng, dtype, c, kh, kw, stride=stride, padding=padding,
                                            dilation=dilation)
            x = rand_q(rng, (2, 9, 10, c), dtype)
            want = reference.conv2d(x, np.ascontiguousarray(w.transpose(2, 0, 1)[..., None]), bias, groups=c,
                                    **kwargs)
            np.testing.assert_array_equal(reference.depthwise_conv2d(x, w, bias, **kwargs), want)
            np.testing.assert_array_equal(op(x), want)


def test_repeated_calls_fast_path_still_validates(rng):
    """Calls on an input shape already seen take the cached path
    (DepthwiseConv2d._run); it must give the same results and the same errors."""
    op, args = make_op(rng, "int8", 24, 3, 3, stride=2, padding=1)
    x = rand_q(rng, (1, 9, 11, 24), "int8")
    want = reference.depthwise_conv2d(x, args[0], args[1], **args[2])
    for _ in range(3):
        np.testing.assert_array_equal(op(x), want)
    assert x.shape in op._calls
    # other data, same shape
    x2 = rand_q(rng, x.shape, "int8")
    np.testing.assert_array_equal(op(x2, threads=2), reference.depthwise_conv2d(x2, args[0], args[1], **args[2]))
    # a strided input of the same shape is copied, not read as if contiguous
    xs = np.ascontiguousarray(np.repeat(x2, 2, axis=2))[:, :, ::2, :]
    assert xs.shape == x.shape and not xs.flags.c_contiguous
    np.testing.assert_array_equal(op(xs), reference.depthwise_conv2d(x2, args[0], args[1], **args[2]))
    # wrong dtype of the same shape
    with pytest.raises(TypeError):
        op(x.view(np.uint8))
    # out= is still checked
    out = np.empty_like(want)
    assert op(x, out=out) is out
    np.testing.assert_array_equal(out, want)
    with pytest.raises(ValueError):
        op(x, out=np.empty(want.shape[1:], want.dtype))
    with pytest.raises(ValueError):
        op(x, out=x)
    with pytest.raises(ValueError):
        op(x, threads=0)
    # a 3-D input of another shape, then the cached 4-D one again
    np.testing.assert_array_equal(op(x[0]), want[0])
    np.testing.assert_array_equal(op(x), want)


def test_repeated_calls_same_results_and_errors_as_a_fresh_operator(rng):
    """The shared repeat-call check (tests/repeat_calls.py) on a depthwise operator."""
    from qkernels import _validate as V
    from repeat_calls import check_repeat_calls
    op, args = make_op(rng, "int8", 24, 3, 3, stride=2, padding="same")
    x = rand_q(rng, (2, 9, 11, 24), "int8")
    np.testing.assert_array_equal(op(x), reference.depthwise_conv2d(x, args[0], args[1], **args[2]))
    others = [(rand_q(rng, (1, 4 + i, 5, 24), "int8"),) for i in range(V.CALL_CACHE_SIZE + 2)]
    check_repeat_calls(op, (x,), others, rng)
