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
