"""`qkernels bench --end-to-end` on a tiny network: tables, peers, sparse section, JSON, errors."""
import argparse
import io
import json

import numpy as np
import pytest

import qkernels as qk
from qkernels import _bench_e2e as E
from qkernels import bench as B
from qkernels.cli import build_parser

from conftest import UNDER_QEMU


def _args(*extra):
    return build_parser().parse_args(["bench", "--end-to-end", "--input-size", "16", "--width-mult", "0.35",
                                      "--min-time", "0", "--repeat", "1", "-q", *extra])


def test_end_to_end_tiny_model(tmp_path):
    path = tmp_path / "e2e.json"
    out = io.StringIO()
    argv = ["--threads", "1,2", "--sparsity", "0.8", "--json", str(path), "--top", "4"]
    if UNDER_QEMU:
        argv.append("--no-peers")
    assert B.run_end_to_end(_args(*argv), out) == 0
    text = out.getvalue()
    assert "mobilenet_v2 int8 (qs8) end to end | input 1x16x16x3" in text
    assert "qkernels 1T" in text and "qkernels 2T" in text
    assert "top 4 layers by time" in text
    assert "dense (BLAS 1x1)" in text and "sparse (SpMM)" in text
    doc = json.loads(path.read_text())
    res = doc["end_to_end"]
    assert set(res["int8"]) == {"1", "2"} and res["int8"]["1"]["median"] > 0
    assert len(res["layers"]) == len(qk.models.mobilenet_v2(input_size=16, width_mult=0.35).layers)
    assert res["sparse"]["0.8"]["rel_err"] < 1e-4
    if not UNDER_QEMU and "onnxruntime 1" in res["peers"]:
        peer = res["peers"]["onnxruntime 1"]
        assert peer["within1"] > 50 and 0 <= peer["exact"] <= 100


def test_mobilenet_v1_no_sparse_section():
    out = io.StringIO()
    B.run_end_to_end(_args("--model", "mobilenet_v1", "--no-peers", "--width-mult", "0.25"), out)
    text = out.getvalue()
    assert "mobilenet_v1 int8" in text and "sparse" not in text


@pytest.mark.skipif(UNDER_QEMU, reason="onnxruntime is not installed in the Arm root")
def test_ort_peer_agrees_with_ours():
    pytest.importorskip("onnxruntime")
    net = qk.models.mobilenet_v2(seed=1, input_size=32, width_mult=0.35, blocks=5, last_channels=64,
                                 num_classes=100)
    fn, _ = E.ort_int8(net, 1)
    x = net.random_input()
    got, ours = fn(x), net(x)
    a = E.agreement(got, ours)
    assert got.dtype == np.int8 and got.shape == ours.shape
    # ORT rounds the residual adds and requantizes its own way: close, not bit-exact
    assert a["within1"] > 80 and a["max_diff"] <= 8


def test_agreement():
    a = E.agreement(np.array([[1, 2, 3, 9]], np.int8), np.array([[1, 3, 3, 5]], np.int8))
    assert a == {"exact": 50.0, "within1": 75.0, "max_diff": 4, "top1": True}


@pytest.mark.parametrize("argv, message", [
    (["--model", "resnet50"], "--model: with --end-to-end"),
    (["--sparsity", "0.5,100"], "--sparsity"),
    (["--width-mult", "0"], "--width-mult"),
    (["--input-size", "4"], "--input-size"),
    (["--threads", "0"], "--threads"),
    (["--peers", "numpy"], "--peers: with --end-to-end"),
])
def test_bad_options(capsys, argv, message):
    args = _args(*argv)
    assert B.main(args) == 2
    assert message in capsys.readouterr().err


def test_end_to_end_tflite_file(tmp_path):
    """--tflite PATH: the file's network is timed (and the TFLite interpreter, when installed, is a peer)."""
    pytest.importorskip("tflite", reason="--tflite needs the optional 'tflite' package")
    from tflite_writer import write_tflite
    net = qk.models.mobilenet_v2(2, input_size=24, width_mult=0.35, last_channels=32, num_classes=10)
    path = tmp_path / "m.tflite"
    path.write_bytes(write_tflite(net, stride2="pad", float_io=True))
    out = io.StringIO()
    jpath = tmp_path / "e.json"
    argv = ["--tflite", str(path), "--json", str(jpath)] + (["--no-peers"] if UNDER_QEMU else [])
    assert B.run_end_to_end(_args(*argv), out) == 0
    text = out.getvalue()
    assert f"input 1x24x24x3 | {net.macs / 1e6:.1f}M MACs | {len(net.layers)} layers | weights from {path}" in text
    assert "sparse" not in text  # the sparse section is for the random-weight networks only
    res = json.loads(jpath.read_text())["end_to_end"]
    assert res["tflite"] == str(path) and res["input_size"] == 24
    if "tflite 1" in res["peers"]:
        assert res["peers"]["tflite 1"]["top1"] is True and res["peers"]["tflite 1"]["within1"] > 50
    with pytest.raises(B.BenchError, match="--tflite: .*is not mobilenet_v1"):
        B.run_end_to_end(_args("--tflite", str(path), "--model", "mobilenet_v1", "--no-peers"), io.StringIO())
    with pytest.raises(B.BenchError, match="--tflite: .*No such file"):
        B.run_end_to_end(_args("--tflite", str(tmp_path / "none.tflite"), "--no-peers"), io.StringIO())


# ------------------------------------------------------------------ PyTorch peer (torch.ao.nn.quantized)

def _torch():
    """torch, or skip: the peer is optional and the QEMU roots / sanitizer builds have no torch."""
    return pytest.importorskip("torch", reason="torch is not installed (the PyTorch peer is optional)")


def _torch_run(net, engine, x, threads=1):
    from qkernels._bench_peers import TorchPeer
    peer = TorchPeer(engine)
    peer.probe()
    with peer.threads(threads):
        fn, version = E.torch_int8(net, engine)
        got = fn(x)
        trace = {}
        fn(x, trace=trace)
        first = E.first_divergence(net, x, fn)
    return got, trace, first


# a net with residual adds, stride-2 layers on even (asymmetric "same" pads) and odd sizes
TINY_V2 = dict(width_mult=0.35, blocks=5, last_channels=64, num_classes=100)


@pytest.mark.parametrize("engine", ["qnnpack", "fbgemm"])
@pytest.mark.parametrize("model, kw", [
    ("mobilenet_v2", dict(input_size=32, **TINY_V2)),
    ("mobilenet_v2", dict(input_size=33, **TINY_V2)),
    ("mobilenet_v1", dict(input_size=32, width_mult=0.25, blocks=6, num_classes=100)),
])
def test_torch_peer_agrees_with_ours(engine, model, kw):
    _torch()
    net = getattr(qk.models, model)(seed=1, **kw)
    x = net.random_input()
    ours = net(x)
    got, trace, (first, kind, d) = _torch_run(net, engine, x)
    assert got.dtype == np.int8 and got.shape == ours.shape
    a = E.agreement(got, ours)
    print(engine, model, kw["input_size"], a, "first layer > 1 LSB off:", first, kind, d)
    assert a["top1"]
    assert set(trace) == {layer.name for layer in net.layers}
    # the stem (the first layer, fed the same bytes) agrees to the rounding of the engine
    stem = net.layers[0].op(x)
    assert np.abs(trace["stem"].reshape(stem.shape).astype(int) - stem).max() <= 1
    if engine == "qnnpack":
        # qnnpack requantizes in fp32 like our default mode: only rounding differences
        assert a["max_diff"] <= 2 and a["within1"] >= 95
    else:
        # fbgemm's depthwise conv is not exact on full-range uint8 x int8 (see torch_int8)
        assert a["max_diff"] <= 16 and a["within1"] >= 40


def test_torch_peer_relu_and_unsupported_clamp():
    torch = _torch()
    rng = np.random.default_rng(3)
    w = rng.integers(-127, 128, (8, 3, 3, 4), dtype=np.int8)
    spec = dict(weight=w, bias=rng.integers(-500, 500, 8).astype(np.int32), stride=2, padding="same",
                input_scale=1 / 128, input_zero_point=0, weight_scale=np.full(8, 0.01, np.float32),
                output_scale=0.02, output_zero_point=-20, output_min=-20)
    net = qk.models.Network("relu", [qk.models.Layer("c", "conv2d", ["input"], spec)], np.int8, (10, 10, 4),
                            1 / 128, 0)
    x = net.random_input()
    ours = net(x)
    got, _, _ = _torch_run(net, "qnnpack", x)
    assert got.min() >= -20 and ours.min() == -20  # the ReLU clamp is there and matters
    assert np.abs(got.astype(int) - ours).max() <= 1
    spec = dict(spec, output_max=50)
    net = qk.models.Network("relu6", [qk.models.Layer("c", "conv2d", ["input"], spec)], np.int8, (10, 10, 4),
                            1 / 128, 0)
    from qkernels._bench_peers import TorchPeer
    peer = TorchPeer("qnnpack")
    peer.probe()
    with peer.threads(1), pytest.raises(E.BenchError, match="clamps to"):
        E.torch_int8(net, "qnnpack")
    assert torch.backends.quantized.engine  # the context restored a valid engine


def test_first_divergence_names_the_first_layer_off_by_more_than_one():
    net = qk.models.mobilenet_v1(input_size=16, width_mult=0.25, blocks=2, num_classes=10)
    x = net.random_input()
    outs = qk.reference.run_model(net, x, return_all=True)

    def fake(bump):
        def fn(x, trace=None):
            for name, y in outs.items():
                if name != "input":
                    y = y.copy()
                    y.reshape(-1)[0] = np.clip(int(y.reshape(-1)[0]) + bump.get(name, 0), -128, 127)
                    trace[name] = y
        return fn
    assert E.first_divergence(net, x, fake({})) == (None, None, 0)
    assert E.first_divergence(net, x, fake({"b0.dw": 1, "b0.pw": -5 if outs["b0.pw"].flat[0] > -100 else 5,
                                            "b1.dw": 9})) == ("b0.pw", "conv2d", 5)


def test_end_to_end_torch_rows():
    _torch()
    out = io.StringIO()
    res = E.run_e2e(_args("--threads", "1,2", "--no-sparse", "--peers", "torch-qnnpack,torch-fbgemm",
                          "--top", "3"), out, B.measure, B.render_table, lambda what: None)
    text = out.getvalue()
    for engine in ("qnnpack", "fbgemm"):
        for tag in ("", " pad1"):  # input 16: the stride-2 layers have asymmetric TF pads
            for t in (1, 2):
                assert f" {engine}{tag} {t}T " in text
                peer = res["peers"][f"torch-{engine}{tag.replace(' ', '-')} {t}"]
                assert peer["median"] > 0 and peer["top1"] and peer["version"]
                assert 0 <= peer["exact"] <= peer["within1"] <= 100
    for key in ("torch-qnnpack 1", "torch-qnnpack-pad1 1"):
        assert res["peers"][key]["max_diff"] <= 2 and res["peers"][key]["trusted"]
    assert "pad1: the stride-2 layers padded 1 on every side" in text
    assert "onnxruntime" not in text  # --peers selects
    assert "max diff" in text


def test_symmetric_variant():
    net = qk.models.mobilenet_v2(seed=2, input_size=16, width_mult=0.35, blocks=4, last_channels=32, num_classes=10)
    pnet = E.symmetric_variant(net)
    changed = [a.name for a, b in zip(net.layers, pnet.layers) if a.spec.get("padding") != b.spec.get("padding")]
    assert changed == ["stem", "b1.dw", "b3.dw"]  # the stride-2 layers, on even sizes
    assert all(pnet.layers[[l.name for l in pnet.layers].index(n)].spec["padding"] == (1, 1) for n in changed)
    x = net.random_input()
    got = qk.reference.run_model(pnet, x, return_all=True)
    ref = qk.reference.run_model(net, x, return_all=True)
    assert all(got[n].shape == ref[n].shape for n in ref)
    assert not np.array_equal(got["stem"], ref["stem"])  # the border windows moved
    # output pixel o >= 1 reads input rows/cols 2o-1..2o+1: an unpadded conv of x[1:, 1:]
    assert np.array_equal(got["stem"][:, 1:, 1:], qk.reference.conv2d(
        x[:, 1:, 1:], **dict(net.layers[0].spec, padding=(0, 0))))
    # odd sizes: TF's "same" is already symmetric
    assert E.symmetric_variant(qk.models.mobilenet_v1(input_size=17, width_mult=0.25, blocks=2)) is None
