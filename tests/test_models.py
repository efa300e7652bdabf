"""qkernels.models: whole networks against qkernels.reference.run_model.

int8 networks bit for bit; the fp32 sparse network within 1e-4 relative.
Small versions (32x32 input, width 0.35, fewer blocks) keep it fast natively
and under QEMU; the full-size 224 MobileNetV2 runs natively only.
"""
import pickle

import numpy as np
import pytest

import qkernels as qk
from qkernels import models as M
from qkernels import reference as R

from conftest import UNDER_QEMU, scaled


def _small_v2(**kw):
    return M.mobilenet_v2(seed=3, input_size=32, width_mult=0.35, blocks=scaled(17, 8), last_channels=128,
                          num_classes=scaled(1000, 100), **kw)


def test_mobilenet_v2_small_bit_exact():
    net = _small_v2()
    kinds = {layer.kind for layer in net.layers}
    assert kinds == {"conv2d", "depthwise_conv2d", "add", "global_avg_pool2d", "linear"}
    for seed in (0, 1):
        x = net.random_input(seed=seed, batch=1 if seed == 0 else 2)
        want = R.run_model(net, x, return_all=True)
        got, times = net.run(x, profile=True)
        # every layer, not just the logits
        env = {"input": x}
        for layer in net.layers:
            y = layer.op(*[env[s] for s in layer.inputs])
            np.testing.assert_array_equal(y, want[layer.name], err_msg=layer.name)
            env[layer.name] = y
        np.testing.assert_array_equal(got, want["fc"])
        assert got.shape == (x.shape[0], net.layers[-1].op.out_features) and got.dtype == np.int8
        assert [n for n, _ in times] == [layer.name for layer in net.layers]
        assert all(t >= 0 for _, t in times)
    # not a degenerate network: the logits spread over the int8 range
    assert np.unique(got).size > 20


def test_mobilenet_v2_threads_and_unbatched():
    net = _small_v2()
    x = net.random_input(seed=5)
    y1 = net(x, threads=1)
    np.testing.assert_array_equal(net(x, threads=2), y1)
    np.testing.assert_array_equal(net(x[0]), y1[0])


def test_mobilenet_v2_structure():
    net = M.mobilenet_v2(seed=0, input_size=32, width_mult=0.35, last_channels=64, num_classes=10)
    names = [layer.name for layer in net.layers]
    assert names[0] == "stem" and names[-3:] == ["head", "pool", "fc"]
    assert "b0.expand" not in names and "b1.expand" in names
    adds = [n for n in names if n.endswith(".add")]
    # residuals: blocks 2, 4, 5, 7, 8, 9, 11, 12, 14, 15
    assert adds == [f"b{i}.add" for i in (2, 4, 5, 7, 8, 9, 11, 12, 14, 15)]
    for layer in net.layers:
        if layer.name.endswith((".dw", ".expand")) or layer.name in ("stem", "head"):
            assert layer.spec["output_min"] == layer.spec["output_zero_point"] == -128  # ReLU6 fused
        if layer.kind in ("conv2d", "depthwise_conv2d", "linear"):
            ws = layer.spec["weight_scale"]
            assert ws.dtype == np.float32 and ws.shape == (layer.spec["weight"].shape[-1 if layer.kind ==
                                                           "depthwise_conv2d" else 0],)
            assert np.abs(layer.spec["weight"]).max() == 127  # per-channel scale from max |w|
    assert np.float32(net.output_scale) == net.output_scale
    # deterministic
    again = M.mobilenet_v2(seed=0, input_size=32, width_mult=0.35, last_channels=64, num_classes=10)
    x = net.random_input()
    np.testing.assert_array_equal(net(x), again(x))
    assert net.macs > 0


def test_mobilenet_v1_small_bit_exact():
    net = M.mobilenet_v1(seed=1, input_size=32, width_mult=0.25, blocks=scaled(13, 7), num_classes=50)
    assert sum(layer.name.endswith(".dw") for layer in net.layers) == scaled(13, 7)
    x = net.random_input()
    np.testing.assert_array_equal(net(x), R.run_model(net, x))


@pytest.mark.skipif(UNDER_QEMU, reason="full-size network: native only (covered at small size under QEMU)")
def test_mobilenet_v2_full_size_bit_exact():
    net = qk.models.mobilenet_v2(seed=0)
    assert len([layer for layer in net.layers if layer.kind == "add"]) == 10
    assert 290e6 < net.macs < 310e6  # MobileNetV2 1.0 224: ~300M MACs
    x = net.random_input()
    y = net(x)
    assert y.shape == (1, 1000) and y.dtype == np.int8
    np.testing.assert_array_equal(y, R.run_model(net, x))


def _rel_err(got, want):
    return float(np.max(np.abs(got.astype(np.float64) - want)) / max(np.max(np.abs(want)), 1e-30))


@pytest.mark.parametrize("sparsity", [0.0, 0.7, 0.9])
def test_sparse_mobilenet_v2_matches_float_reference(sparsity):
    net = M.mobilenet_v2_sparse(seed=2, sparsity=sparsity, input_size=33, width_mult=0.5, blocks=scaled(17, 6),
                                last_channels=128, num_classes=scaled(1000, 50))
    kinds = {layer.kind for layer in net.layers}
    assert {"chw_conv2d_hwc2chw", "chw_depthwise_conv2d", "sparse_conv1x1", "add_f32",
            "chw_global_avg_pool"} <= kinds
    for layer in net.layers:
        if layer.kind == "sparse_conv1x1" and layer.name != "fc":
            w = layer.spec["weight"]
            assert abs(1 - np.count_nonzero(w) / w.size - sparsity) < 0.01
            assert layer.op.path == "sparse"
    x = net.random_input()
    got, times = net.run(x, profile=True)
    want = R.run_model(net, x, return_all=True)
    assert got.shape == (1, net.layers[-2].op.out_channels) and got.dtype == np.float32
    for layer in net.layers:  # the activations stay alive through the network
        if layer.kind == "sparse_conv1x1":
            assert np.abs(want[layer.name]).max() > 0.1, layer.name
    assert _rel_err(got, want["logits"]) < 1e-4
    assert len(times) == len(net.layers)


def test_sparse_vs_dense_mode_same_network():
    kw = dict(seed=4, sparsity=0.8, input_size=32, width_mult=0.35, blocks=scaled(10, 4), last_channels=64,
              num_classes=20)
    sparse = M.mobilenet_v2_sparse(**kw)
    dense = M.mobilenet_v2_sparse(mode="dense", **kw)
    x = sparse.random_input(batch=2)
    ys, yd = sparse(x), dense(x)
    assert _rel_err(ys, R.run_model(sparse, x).astype(np.float64)) < 1e-4
    assert _rel_err(yd, ys.astype(np.float64)) < 1e-4
    np.testing.assert_allclose(sparse(x[1]), ys[1], rtol=0, atol=0)


def test_network_pickles():
    net = M.mobilenet_v2(seed=0, input_size=16, width_mult=0.35, blocks=2, last_channels=32, num_classes=10)
    x = net.random_input()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(net))(x), net(x))


def test_bad_arguments():
    net = M.mobilenet_v2(seed=0, input_size=16, width_mult=0.35, blocks=2, last_channels=32, num_classes=10)
    with pytest.raises(TypeError, match="x must have dtype int8"):
        net(np.zeros((1, 16, 16, 3), np.uint8))
    with pytest.raises(TypeError, match="x must be a numpy array"):
        net([[0]])
    with pytest.raises(ValueError, match=r"x must be HWC"):
        net(np.zeros((1, 16, 16, 4), np.int8))
    with pytest.raises(ValueError, match="blocks"):
        M.mobilenet_v2(blocks=0)
    with pytest.raises(TypeError, match="width_mult"):
        M.mobilenet_v2(width_mult="1")
    with pytest.raises(ValueError, match="input_size"):
        M.mobilenet_v1(input_size=4)
    with pytest.raises(TypeError, match="seed"):
        M.mobilenet_v2(seed=1.5)
    with pytest.raises(ValueError, match="sparsity"):
        M.mobilenet_v2_sparse(sparsity=1.0)
    with pytest.raises(ValueError, match="mode"):
        M.mobilenet_v2_sparse(mode="fast")
    with pytest.raises(ValueError, match="kind"):
        M.Layer("x", "maxpool", ("input",), {})


def test_repeated_runs_take_the_cached_paths_and_stay_exact():
    """A network run again hits every operator's repeat-call path
    (qkernels._validate.CallCache); inputs of other shapes and layouts in
    between must not disturb it, and the results stay those of the reference."""
    net = _small_v2()
    xs = [net.random_input(seed=7), net.random_input(seed=8, batch=2)]
    wants = [R.run_model(net, x) for x in xs]
    for _ in range(2):
        for x, want in zip(xs, wants):
            np.testing.assert_array_equal(net(x), want)
            np.testing.assert_array_equal(net(x[0])[None], want[:1])
            strided = np.repeat(x, 2, axis=2)[:, :, ::2]  # the input, not C-contiguous
            np.testing.assert_array_equal(net(strided), want)
            got, times = net.run(x, profile=True)
            np.testing.assert_array_equal(got, want)
            assert [n for n, _ in times] == [layer.name for layer in net.layers]
    ops = [layer.op for layer in net.layers]
    assert all(len(op._calls) >= 3 for op in ops)  # batch 1, batch 2, unbatched
    with pytest.raises(TypeError):
        net(xs[0].view(np.uint8))
