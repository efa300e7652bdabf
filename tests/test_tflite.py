"""qk.models.load_tflite: .tflite files the suite writes itself (tests/tflite_writer.py).

1. The loader reproduces the written network: same weights, biases, scales,
   zero points, padding and clamps; the loaded Network equals
   qkernels.reference.run_model bit for bit (every ISA level, under QEMU too).
2. Against the TFLite interpreter (ai_edge_litert, when installed), operator by
   operator: each of our layers is fed the interpreter's own input tensors
   (experimental_preserve_all_tensors) and its output compared with the
   interpreter's, so every difference is attributable to one operator.
   With TFLite's built-in kernels (no delegate):
     DEPTHWISE_CONV_2D, ADD        bit-exact (our gemmlowp mode = TFLite's
                                   MultiplyByQuantizedMultiplier; ADD = TFLite's)
     CONV_2D, FULLY_CONNECTED      TFLite runs them as ruy GEMMs, whose
                                   requantization rounds the final right shift
                                   half *up* where MultiplyByQuantizedMultiplier
                                   (and our gemmlowp mode) rounds half away from
                                   zero: the two differ only on a negative exact
                                   tie, by 1.  Asserted: the interpreter equals
                                   that half-up model exactly and we are within 1.
     MEAN                          TFLite (reduce.h) folds 1/(H*W) into the
                                   multiplier by integer division; we quantize
                                   input_scale / (output_scale*H*W) directly.
                                   Asserted: the interpreter equals the reduce.h
                                   model exactly and we are within 1.
     AVERAGE_POOL_2D (odd H*W)     bit-exact (sum / count rounded to nearest).
   The XNNPACK delegate (the interpreter's default) is measured and reported
   (it requantizes in float: compare our fp32 mode), and asserted within 1 per op.
   Whole-network differences compound through the layers; they are printed, not
   asserted (pytest -s shows every table).
3. Error paths: truncated / corrupt files, wrong architecture, float and uint8
   models, unsupported operators.
"""
import os

import numpy as np
import pytest

import qkernels as qk
from qkernels import _quant
from qkernels import reference as R

pytest.importorskip("tflite", reason="the .tflite loader needs the optional 'tflite' package "
                                     "(pip install 'qkernels[tflite]')")
from tflite_writer import write_tflite  # noqa: E402

try:  # an import, not find_spec: the sanitizer stage hides the package behind a module that raises
    import ai_edge_litert.interpreter  # noqa: F401
    HAVE_LITERT, LITERT_WHY = True, ""
except ImportError as e:
    HAVE_LITERT, LITERT_WHY = False, f" ({e})"
UNDER_QEMU = os.environ.get("QKERNELS_UNDER_QEMU") == "1"
LITERT_SKIP = ("ai_edge_litert is not installed" + LITERT_WHY + (
    " in the QEMU guest root (Debian bookworm packages no TFLite interpreter, and the harness installs "
    "no PyPI binaries into the guest); the loader itself is "
    "tested here" if UNDER_QEMU else ": pip install ai-edge-litert (extra qkernels[tflite-interpreter])"))


def small_v2(seed=0, input_size=40, blocks=4, width_mult=0.35):
    return qk.models.mobilenet_v2(seed, input_size=input_size, width_mult=width_mult, blocks=blocks,
                                  last_channels=64, num_classes=16)


def small_v1(seed=0, input_size=36, blocks=4):
    return qk.models.mobilenet_v1(seed, input_size=input_size, width_mult=0.25, blocks=blocks, num_classes=10)


# ---------------------------------------------------------------- 1. loader vs the written network

@pytest.mark.parametrize("opts", [
    dict(),
    dict(stride2="pad", pool="avgpool", head="conv", float_io=True),
    dict(pool="mean", mean_keepdims=True, head="conv", softmax=False),
    dict(relu6=False, softmax=False),
])
def test_loader_reproduces_v2(opts, tmp_path):
    net = small_v2()
    path = tmp_path / "m.tflite"
    path.write_bytes(write_tflite(net, **opts))
    ln = qk.models.load_tflite(path, blocks=4)
    assert [l.name for l in ln.layers] == [l.name for l in net.layers]
    assert [l.kind for l in ln.layers] == [l.kind for l in net.layers]
    assert ln.input_shape == net.input_shape and ln.dtype == np.int8
    assert (ln.input_scale, ln.input_zero_point) == (np.float32(net.input_scale), net.input_zero_point)
    for a, b in zip(ln.layers, net.layers):
        sa, sb = a.spec, b.spec
        assert a.inputs == b.inputs
        if a.kind in ("conv2d", "depthwise_conv2d", "linear"):
            np.testing.assert_array_equal(sa["weight"], sb["weight"])
            np.testing.assert_array_equal(sa["bias"], sb["bias"])
            np.testing.assert_array_equal(sa["weight_scale"], np.float32(sb["weight_scale"]))
            assert sa["requantization"] == "gemmlowp"
            if a.kind != "linear":
                assert sa.get("stride", 1) == sb.get("stride", 1)
                # "same", or the PAD op's explicit pads that equal it
                geo = qk.depthwise.conv_output_geometry
                x = R.run_model(net, net.random_input(), return_all=True)[b.inputs[0]]
                k = sa["weight"].shape[:2] if a.kind == "depthwise_conv2d" else sa["weight"].shape[1:3]
                assert geo(*x.shape[1:3], *k, sa.get("stride", 1), sa["padding"], 1) == \
                    geo(*x.shape[1:3], *k, sb.get("stride", 1), sb["padding"], 1)
        if a.kind == "add":
            for key in ("input1_scale", "input2_scale", "output_scale"):
                assert sa[key] == np.float32(sb[key])
        if "output_min" in sb and opts.get("relu6", True):
            assert (sa["output_min"], sa["output_max"]) == (sb["output_min"], sb["output_max"])
        if not opts.get("relu6", True):
            assert "output_min" not in sa
    stripped = (["QUANTIZE"] if opts.get("float_io") else []) + (["SOFTMAX"] if opts.get("softmax", True) else []) \
        + (["DEQUANTIZE"] if opts.get("float_io") else [])
    assert ln.tflite["stripped"] == stripped
    assert (ln.tflite["float_input"] is not None) == bool(opts.get("float_io"))
    for seed in range(2):
        x = ln.random_input(seed=seed)
        y = ln(x)
        assert y.dtype == np.int8 and y.shape == (1, 16)
        np.testing.assert_array_equal(y, R.run_model(ln, x))


@pytest.mark.parametrize("head", ["conv", "fc"])
def test_loader_v1(head):
    net = small_v1()
    data = write_tflite(net, stride2="pad", pool="mean", mean_keepdims=True, head=head)
    ln = qk.models.load_tflite(data, "mobilenet_v1", blocks=4)
    assert [l.name for l in ln.layers] == [l.name for l in net.layers]
    x = ln.random_input(batch=2)
    np.testing.assert_array_equal(ln(x, threads=2), R.run_model(ln, x))


def test_full_depth_v2_small_width():
    """The real architecture (all 17 blocks) at width 0.35 and a 32x32 input."""
    net = qk.models.mobilenet_v2(3, input_size=32, width_mult=0.35, last_channels=128, num_classes=10)
    ln = qk.models.load_tflite(write_tflite(net, stride2="pad"))
    assert len(ln.layers) == len(net.layers) and ln.layers[-1].spec["weight"].shape == (10, 128)
    x = ln.random_input()
    np.testing.assert_array_equal(ln(x), R.run_model(ln, x))
    # 16 blocks asked, 17 in the file: block 16's expansion passes for the head, its depthwise conv fails
    with pytest.raises(ValueError, match=r"expected the global average pool \(MEAN or AVERAGE_POOL_2D\), got op "
                                         r"\d+ \(DEPTHWISE_CONV_2D, output tensor \d+ 'b16.dw'"):
        qk.models.load_tflite(write_tflite(net), blocks=16)


def test_fp32_mode_and_pickle():
    import pickle
    ln = qk.models.load_tflite(write_tflite(small_v2()), blocks=4, requantization="fp32",
                               mean_requantization="gemmlowp")
    assert ln.layers[0].spec["requantization"] == "fp32"
    assert ln.layers[-2].spec["requantization"] == "gemmlowp"
    x = ln.random_input()
    np.testing.assert_array_equal(ln(x), R.run_model(ln, x))
    op = pickle.loads(pickle.dumps(ln.layers[1].op))
    x1 = R.run_model(ln, x, return_all=True)["stem"]
    np.testing.assert_array_equal(op(x1), ln.layers[1].op(x1))


# ---------------------------------------------------------------- 3. error paths

def test_errors_malformed(tmp_path):
    data = write_tflite(small_v2())
    for cut in (4, 100, len(data) // 2, len(data) - 8):
        with pytest.raises(ValueError, match="not a .tflite file|malformed|truncated|data|refers to"):
            qk.models.load_tflite(data[:cut], blocks=4)
    with pytest.raises(ValueError, match="no 'TFL3'"):
        qk.models.load_tflite(b"\0" * 64)
    bad = bytearray(data)
    bad[8:16] = b"\xff" * 8  # the root table's vtable offset and beyond
    with pytest.raises(ValueError):
        qk.models.load_tflite(bytes(bad), blocks=4)
    with pytest.raises(FileNotFoundError):
        qk.models.load_tflite(tmp_path / "missing.tflite")
    with pytest.raises(ValueError, match="model must be"):
        qk.models.load_tflite(data, "resnet50")
    with pytest.raises(ValueError, match="blocks must lie"):
        qk.models.load_tflite(data, blocks=18)
    with pytest.raises(TypeError, match="blocks must be an int"):
        qk.models.load_tflite(data, blocks=2.0)
    with pytest.raises(ValueError, match="requantization"):
        qk.models.load_tflite(data, blocks=4, requantization="float")


def test_errors_architecture():
    v2 = write_tflite(small_v2())
    # block count: 4 written; asking for 5 takes the head for block 4's expansion
    with pytest.raises(ValueError, match=r"expected block 4's expansion to 6 x 16 = 96 channels, got op \d+ "
                                         r"\(CONV_2D, output tensor \d+ 'head', kernel 1x1, stride 1\) with 64"):
        qk.models.load_tflite(v2, blocks=5)
    with pytest.raises(ValueError, match=r"is not mobilenet_v1: expected pair 1's DEPTHWISE_CONV_2D 3x3 stride 2, "
                                         r"got op 3 \(CONV_2D, output tensor \d+ 'b1.expand', kernel 1x1"):
        qk.models.load_tflite(v2, "mobilenet_v1", blocks=4)
    v1 = write_tflite(small_v1())
    with pytest.raises(ValueError, match=r"is not mobilenet_v2: expected block 1's expansion: CONV_2D 1x1 stride 1, "
                                         r"got op 3 \(DEPTHWISE_CONV_2D"):
        qk.models.load_tflite(v1, blocks=4)
    # wrong stride: a MobileNetV2 whose 2nd block is not strided
    net = qk.models.mobilenet_v2(0, input_size=40, width_mult=0.35, blocks=4, last_channels=64, num_classes=16)
    layers = list(net.layers)
    i = [l.name for l in layers].index("b1.dw")
    spec = dict(layers[i].spec, stride=1)
    layers[i] = qk.models.Layer("b1.dw", "depthwise_conv2d", layers[i].inputs, spec)
    odd = qk.models.Network("x", layers, np.int8, net.input_shape, net.input_scale, 0, net.output_scale,
                            net.output_zero_point)
    with pytest.raises(ValueError, match=r"expected block 1's DEPTHWISE_CONV_2D 3x3 stride 2.*got op \d+ "
                                         r"\(DEPTHWISE_CONV_2D, output tensor \d+ 'b1.dw', kernel 3x3, stride 1\)"):
        qk.models.load_tflite(write_tflite(odd), blocks=4)
    # residual add missing
    layers = [l for l in net.layers if l.name != "b2.add"]
    layers = [qk.models.Layer(l.name, l.kind, ["b2.project" if s == "b2.add" else s for s in l.inputs], l.spec)
              for l in layers]
    noadd = qk.models.Network("x", layers, np.int8, net.input_shape, net.input_scale, 0, 1.0, 0)
    with pytest.raises(ValueError, match=r"expected block 2's residual ADD"):
        qk.models.load_tflite(write_tflite(noadd), blocks=4)


def _retype(data, tensor_name, new_type):
    """The file with the type of the tensor named tensor_name changed in place."""
    import tflite
    m = tflite.Model.GetRootAs(data, 0)
    g = m.Subgraphs(0)
    buf = bytearray(data)
    n = 0
    for i in range(g.TensorsLength()):
        t = g.Tensors(i)
        if t.Name().decode() == tensor_name:
            o = t._tab.Offset(6)  # Tensor.type
            assert o, "type field absent (default) cannot be patched in place"
            buf[t._tab.Pos + o] = new_type
            n += 1
    assert n
    return bytes(buf)


def test_errors_unsupported_types():
    data = write_tflite(small_v2(), softmax=False)
    with pytest.raises(ValueError, match=r"float32: float models and dynamic-range.*only full-integer int8"):
        qk.models.load_tflite(_retype(data, "input", 0), blocks=4)
    with pytest.raises(ValueError, match=r"weight tensor .* is float32: float models are not supported"):
        qk.models.load_tflite(_retype(data, "stem/weights", 0), blocks=4)
    with pytest.raises(ValueError, match=r"uint8: legacy uint8 \(asymmetric\) quantization is not supported"):
        qk.models.load_tflite(_retype(data, "input", 3), blocks=4)
    with pytest.raises(ValueError, match=r"weight tensor 1 \('stem/weights'\) is uint8: legacy uint8"):
        qk.models.load_tflite(_retype(data, "stem/weights", 3), blocks=4)
    with pytest.raises(ValueError, match=r"has type int16; only int8 activations"):
        qk.models.load_tflite(_retype(data, "b0.dw", 7), blocks=4)


def test_errors_unsupported_op():
    import tflite
    data = bytearray(write_tflite(small_v2(), softmax=False))
    m = tflite.Model.GetRootAs(bytes(data), 0)
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        if oc.BuiltinCode() == tflite.BuiltinOperator.MEAN:
            # MEAN -> SUM (same inputs): both the int8 and the int32 code fields
            assert oc._tab.Offset(4) and oc._tab.Offset(10)
            data[oc._tab.Pos + oc._tab.Offset(4)] = tflite.BuiltinOperator.SUM
            data[oc._tab.Pos + oc._tab.Offset(10)] = tflite.BuiltinOperator.SUM
    with pytest.raises(ValueError, match=r"op \d+ \(SUM\): operator SUM is not supported"):
        qk.models.load_tflite(bytes(data), blocks=4)


def test_import_without_tflite():
    """qkernels imports without the optional packages; the loader says what to install."""
    import subprocess
    import sys
    code = ("import sys; sys.modules['tflite'] = None\n"
            "import qkernels as qk\n"
            "try:\n    qk.models.load_tflite(b'12345678')\nexcept ImportError as e:\n    print('IMPORT', e)\n")
    # from tests/, like test_no_numpy: the qkernels this suite tests, not a source tree
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.abspath(__file__)), timeout=600)
    assert out.returncode == 0, out.stderr
    assert "IMPORT" in out.stdout and "qkernels[tflite]" in out.stdout


# ---------------------------------------------------------------- 2. against the TFLite interpreter

def _halfup(acc, real, zp, lo, hi):
    """ruy's requantization: SRDHM, then a rounding right shift with ties rounded up."""
    m, e = _quant.gemmlowp_params(real)
    e = e.astype(np.int64)
    v = R.srdhm(acc, m)
    v = (v + ((np.int64(1) << e) >> 1)) >> e
    return np.clip(v + zp, lo, hi)


def _reduce_h_mean(x, s):
    """TFLite reduce.h QuantizedMeanOrSum for an int8 spatial MEAN (multiplier / count folded)."""
    import math
    n = x.shape[1] * x.shape[2]
    acc = x.astype(np.int64).sum(axis=(1, 2)) - n * s["input_zero_point"]
    q, e = math.frexp(float(np.float32(s["input_scale"])) / float(np.float32(s["output_scale"])))
    mult = int(math.floor(q * (1 << 31) + 0.5))
    sh = min(n.bit_length() - 1, 32, 31 + e)
    mult, shift = (mult << sh) // n, e - sh
    v = R.rdbpot(R.srdhm(acc * (1 << max(shift, 0)), mult), max(-shift, 0))
    return np.clip(v + s["output_zero_point"], -128, 127)


def _accumulators(layer, x):
    s = layer.spec
    if layer.kind == "linear":
        return (x.reshape(x.shape[0], -1).astype(np.int64) - s["input_zero_point"]) @ \
            s["weight"].astype(np.int64).T + s["bias"]
    # the reference conv with a unit multiplier path: recompute the int64 sums directly
    from qkernels import _conv
    w = s["weight"]
    _, h, wd, _ = x.shape
    _, kh, kw, _ = w.shape
    st = _conv.pair("stride", s.get("stride", 1))
    pads = _conv.resolve(_conv.padding(s.get("padding", 0)), h, wd, kh, kw, st, (1, 1))
    oh, ow = _conv.output_size(h, wd, kh, kw, st, (1, 1), pads)
    xp = np.pad(x.astype(np.int64) - s["input_zero_point"], ((0, 0), pads[:2], pads[2:], (0, 0)))
    acc = np.zeros((x.shape[0], oh, ow, w.shape[0]), np.int64)
    for i in range(kh):
        for j in range(kw):
            acc += xp[:, i:i + (oh - 1) * st[0] + 1:st[0], j:j + (ow - 1) * st[1] + 1:st[1]] @ \
                w[:, i, j, :].astype(np.int64).T
    return acc + s["bias"]


def _interpreter(data, delegate):
    import warnings
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    kw = dict(model_content=data, experimental_preserve_all_tensors=True)
    if not delegate:
        kw["experimental_op_resolver_type"] = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        it = Interpreter(**kw)
    it.allocate_tensors()
    return it


def compare_with_tflite(data, ln, x, delegate=False, check=True):
    """Run the file in the interpreter; per op kind: [differing bytes, max |diff|, elements] of our
    layer fed the interpreter's inputs, and the whole-network logits difference."""
    it = _interpreter(data, delegate)
    inp = it.get_input_details()[0]
    if inp["dtype"] == np.float32:  # float_io file: feed the float value of the int8 input exactly
        xf = (x.astype(np.float32) - ln.input_zero_point) * np.float32(ln.input_scale)
        it.set_tensor(inp["index"], xf)
    else:
        it.set_tensor(inp["index"], x)
    it.invoke()
    T = ln.tflite["tensors"]
    np.testing.assert_array_equal(it.get_tensor(ln.tflite["input_tensor"]), x)
    stats = {}
    for layer in ln.layers:
        ref = it.get_tensor(T[layer.name])
        ins = [it.get_tensor(T[s] if s != "input" else ln.tflite["input_tensor"]) for s in layer.inputs]
        if layer.kind == "linear":
            ins = [ins[0].reshape(ins[0].shape[0], -1)]
        ours = layer.op(*ins).reshape(ref.shape)
        d = np.abs(ours.astype(np.int32) - ref.astype(np.int32))
        op = layer.kind
        if layer.kind == "global_avg_pool2d":
            op = "MEAN" if "MEAN" in _op_names(data) else "AVERAGE_POOL_2D"
        st = stats.setdefault(op, [0, 0, 0])
        st[0] += int((d > 0).sum())
        st[1] = max(st[1], int(d.max()))
        st[2] += d.size
        if not check:
            continue
        s = layer.spec
        if delegate:
            assert d.max() <= 1, (layer.name, int(d.max()))
        elif layer.kind in ("depthwise_conv2d", "add"):
            np.testing.assert_array_equal(ours, ref, err_msg=layer.name)
        elif layer.kind in ("conv2d", "linear"):
            acc = _accumulators(layer, ins[0])
            real = R.real_scale(s["input_scale"], s["weight_scale"], s["output_scale"])
            model = _halfup(acc, real, s["output_zero_point"], s.get("output_min", -128), s.get("output_max", 127))
            np.testing.assert_array_equal(model.reshape(ref.shape), ref, err_msg=layer.name)
            assert d.max() <= 1, layer.name
        elif op == "MEAN":
            np.testing.assert_array_equal(_reduce_h_mean(ins[0], s).reshape(ref.shape), ref)
            assert d.max() <= 1
        else:  # AVERAGE_POOL_2D
            hw = ins[0].shape[1] * ins[0].shape[2]
            if hw % 2:
                np.testing.assert_array_equal(ours, ref)
            else:
                assert d.max() <= 1
    logits = it.get_tensor(ln.tflite["output_tensor"]).reshape(1, -1)
    y = ln(x)
    e2e = np.abs(y.astype(np.int32) - logits.astype(np.int32))
    return stats, (int((e2e > 0).sum()), int(e2e.max()), e2e.size, bool(y.argmax() == logits.argmax()))


def _op_names(data):
    import tflite
    m = tflite.Model.GetRootAs(data, 0)
    names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if isinstance(v, int)}
    return {names[m.OperatorCodes(i).BuiltinCode()] for i in range(m.OperatorCodesLength())}


def _report(title, stats, e2e):
    print(f"\n{title}")
    for op, (nd, mx, n) in stats.items():
        print(f"  {op:<18} {nd:6d} of {n:7d} bytes differ, max |diff| {mx}")
    print(f"  whole network      {e2e[0]:6d} of {e2e[2]:7d} logits differ, max |diff| {e2e[1]}, "
          f"top-1 {'same' if e2e[3] else 'DIFFERENT'}")


@pytest.mark.skipif(not HAVE_LITERT, reason=LITERT_SKIP)
@pytest.mark.parametrize("opts", [dict(), dict(stride2="pad", pool="avgpool", head="conv", float_io=True)],
                         ids=["mean-fc", "pad-avgpool-conv-floatio"])
def test_against_tflite_builtin(opts):
    total = {}
    for seed in range(3):
        # 40x40 -> a 5x5 image at the pool (odd: AVERAGE_POOL_2D exact); 44x44 -> 6x6 (even: ties)
        net = small_v2(seed, input_size=44 if opts.get("pool") == "avgpool" and seed == 2 else 40)
        data = write_tflite(net, **opts)
        ln = qk.models.load_tflite(data, blocks=4)
        stats, e2e = compare_with_tflite(data, ln, ln.random_input(seed=seed + 7))
        _report(f"TFLite built-in kernels vs qkernels, seed {seed}, {opts}", stats, e2e)
        for k, v in stats.items():
            t = total.setdefault(k, [0, 0, 0])
            t[0] += v[0]
            t[1] = max(t[1], v[1])
            t[2] += v[2]
    assert {"conv2d", "depthwise_conv2d", "add"} <= set(total)
    assert total["depthwise_conv2d"][0] == 0 and total["add"][0] == 0


@pytest.mark.skipif(not HAVE_LITERT, reason=LITERT_SKIP)
def test_against_tflite_full_depth():
    net = qk.models.mobilenet_v2(5, input_size=32, width_mult=0.35, last_channels=128, num_classes=10)
    data = write_tflite(net, stride2="pad")
    ln = qk.models.load_tflite(data)
    stats, e2e = compare_with_tflite(data, ln, ln.random_input())
    _report("TFLite built-in kernels vs qkernels, all 17 blocks, width 0.35, 32x32", stats, e2e)


@pytest.mark.skipif(not HAVE_LITERT, reason=LITERT_SKIP)
def test_against_tflite_xnnpack():
    net = small_v2(1)
    data = write_tflite(net)
    for mode in ("gemmlowp", "fp32"):
        ln = qk.models.load_tflite(data, blocks=4, requantization=mode)
        stats, e2e = compare_with_tflite(data, ln, ln.random_input(seed=3), delegate=True)
        _report(f"TFLite + XNNPACK delegate vs qkernels requantization={mode}", stats, e2e)
