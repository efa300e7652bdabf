"""End-to-end networks built from qkernels operators (no download: seeded random weights).

    import qkernels as qk
    net = qk.models.mobilenet_v2(seed=0)              # int8 (qs8), TFLite conventions
    x = net.random_input()                             # int8 [1, 224, 224, 3]
    logits = net(x)                                    # int8 [1, 1000]
    logits, times = net.run(x, profile=True)           # times: [(layer name, seconds)]
    qk.reference.run_model(net, x)                     # the same network in numpy, bit for bit

    snet = qk.models.mobilenet_v2_sparse(sparsity=0.8) # fp32, CHW, SpMM 1x1 layers
    snet(snet.random_input())                          # float32 [1, 1000]

A network is a list of `Layer`s (name, kind, operator, input names, spec);
`spec` holds the constructor arguments of the operator, which are also the
arguments of its numpy twin in qkernels.reference, so the reference runs the
very same graph (qkernels.reference.run_model).

int8 networks (mobilenet_v2, mobilenet_v1) follow TFLite's quantization:
int8 activations with a zero point, int8 weights symmetric per output
channel (scale = max|w| / 127), int32 biases with scale input_scale *
weight_scale, "same" padding, ReLU6 fused through output_min/output_max,
residual adds with their own requantization (qk.Add, TFLite ADD exact).
The weights are He-initialised random numbers (seeded); each layer's output
scale and zero point come from the float range of its output, computed once
while the network is built by running it on a deterministic random input
(float arithmetic on the dequantized int8 input of that layer), and then
frozen.  Every scale is float32-representable, as in a .tflite file.

The fp32 sparse network (mobilenet_v2_sparse) is XNNPACK's sparse inference
set-up: the stem qk.chw.Conv2dHWC2CHW, qk.chw.DepthwiseConv2d, every 1x1
layer a qk.SparseConv1x1 with its weights randomly pruned to `sparsity`
(unstructured, seeded), qk.AddF32 residuals, qk.chw.GlobalAvgPool and the
classifier as a (dense-weighted) SparseConv1x1 on the pooled 1x1 image.
"""
import time

import numpy as np

from . import _conv
from . import chw as _chw
from .depthwise import DepthwiseConv2d
from .gemm import Conv2d, Linear
from .glue import Add, AddF32, GlobalAvgPool2d
from .sparse import SparseConv1x1

__all__ = ["Layer", "Network", "mobilenet_v2", "mobilenet_v1", "mobilenet_v2_sparse", "MOBILENET_V2_BLOCKS",
           "MOBILENET_V1_LAYERS"]

# (expansion t, output channels c, repeats n, first stride s), as in the paper / Keras.
MOBILENET_V2_BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)]
# (pointwise output channels, depthwise stride) of the 13 dw/pw pairs.
MOBILENET_V1_LAYERS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
                       (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]

INPUT_SCALE = 1.0 / 128  # int8 input: x / 128 in [-1, 1), zero point 0


# ---------------------------------------------------------------- operators by kind

def _strip(spec, *keys):
    return {k: v for k, v in spec.items() if k not in keys}


# kind -> constructor of the operator from the layer's spec
_BUILDERS = {
    "conv2d": lambda s: Conv2d(**s),
    "depthwise_conv2d": lambda s: DepthwiseConv2d(**s),
    "linear": lambda s: Linear(**s),
    "add": lambda s: Add(**s),
    "global_avg_pool2d": lambda s: GlobalAvgPool2d(**s),
    "chw_conv2d_hwc2chw": lambda s: _chw.Conv2dHWC2CHW(**s),
    "chw_depthwise_conv2d": lambda s: _chw.DepthwiseConv2d(**s),
    "sparse_conv1x1": lambda s: SparseConv1x1(**s),
    "add_f32": lambda s: AddF32(**s),
    "chw_global_avg_pool": lambda s: _chw.GlobalAvgPool(**s),
    "to_image": lambda s: _to_image,
    "from_image": lambda s: _from_image,
}


def _to_image(x, threads=None):
    """[..., C] -> [..., C, 1, 1]: a pooled vector as a 1x1 CHW image (a view)."""
    return x.reshape(x.shape + (1, 1))


def _from_image(x, threads=None):
    """[..., C, 1, 1] -> [..., C] (a view)."""
    return x.reshape(x.shape[:-2])


class Layer:
    """One node: `name`, `kind` (see qkernels.reference.run_model), `op` (the qkernels
    operator), `inputs` (names of the layers it reads; "input" is the network input),
    `spec` (the operator's constructor arguments), `macs` (multiply-accumulates for one
    image of the network's input size)."""

    __slots__ = ("name", "kind", "op", "inputs", "spec", "macs")

    def __init__(self, name, kind, inputs, spec, macs=0):
        if kind not in _BUILDERS:
            raise ValueError(f"kind must be one of {sorted(_BUILDERS)}, got {kind!r}")
        self.name, self.kind, self.inputs, self.spec, self.macs = name, kind, tuple(inputs), spec, int(macs)
        self.op = _BUILDERS[kind](spec)

    def __repr__(self):
        return f"Layer({self.name!r}, {self.kind}, inputs={list(self.inputs)})"


class Network:
    """A feed-forward graph of qkernels operators.

    net(x, threads=None) -> output; net.run(x, threads=None, profile=False) -> output,
    or (output, [(layer name, seconds), ...]) with profile=True.
    Attributes: name, layers, dtype (of input and output), input_shape (one image, HWC),
    input_scale / input_zero_point (quantized networks; None for fp32), output_scale /
    output_zero_point, macs (total multiply-accumulates per image).
    """

    def __init__(self, name, layers, dtype, input_shape, input_scale=None, input_zero_point=None,
                 output_scale=None, output_zero_point=None, seed=0):
        names = set()
        for layer in layers:
            for src in layer.inputs:
                if src != "input" and src not in names:
                    raise ValueError(f"layer {layer.name!r} reads {src!r}, which no earlier layer produces")
            if layer.name in names or layer.name == "input":
                raise ValueError(f"duplicate layer name {layer.name!r}")
            names.add(layer.name)
        self.name, self.layers, self.dtype = name, list(layers), np.dtype(dtype)
        self.input_shape = tuple(input_shape)
        self.input_scale, self.input_zero_point = input_scale, input_zero_point
        self.output_scale, self.output_zero_point = output_scale, output_zero_point
        self.seed = seed
        # free each intermediate after its last reader
        last = {}
        for i, layer in enumerate(self.layers):
            for src in layer.inputs:
                last[src] = i
        self._free = [[s for s in layer.inputs if last[s] == i and s != "input"] for i, layer in enumerate(self.layers)]

    @property
    def macs(self):
        return sum(layer.macs for layer in self.layers)

    def __repr__(self):
        return f"<Network {self.name}: {len(self.layers)} layers, {self.dtype}, input {self.input_shape}>"

    def random_input(self, seed=None, batch=1):
        """A deterministic random input of the network's dtype, shape [batch, H, W, C]."""
        rng = np.random.default_rng(self.seed + 1 if seed is None else seed)
        shape = (batch,) + self.input_shape
        if self.dtype == np.float32:
            return rng.uniform(-1, 1, shape).astype(np.float32)
        info = np.iinfo(self.dtype)
        return rng.integers(info.min, info.max + 1, shape, dtype=self.dtype)

    def _check_input(self, x):
        if not isinstance(x, np.ndarray):
            raise TypeError(f"x must be a numpy array, got {type(x).__name__}")
        if x.dtype != self.dtype:
            raise TypeError(f"x must have dtype {self.dtype}, got {x.dtype}")
        if x.ndim not in (3, 4) or x.shape[-1] != self.input_shape[-1]:
            raise ValueError(f"x must be HWC [H, W, {self.input_shape[-1]}] or NHWC [N, H, W, "
                             f"{self.input_shape[-1]}], got shape {x.shape}")

    def __call__(self, x, threads=None):
        return self.run(x, threads=threads)

    def run(self, x, threads=None, profile=False):
        self._check_input(x)
        env = {"input": x}
        times = [] if profile else None
        clock = time.perf_counter
        y = x
        # The per-layer bookkeeping is kept to a few dict operations: with the
        # operators' repeat-call path (qkernels._validate.CallCache) it is a
        # visible share of the small layers' time.
        for layer, free in zip(self.layers, self._free):
            inputs = layer.inputs
            if profile:
                t0 = clock()
            if len(inputs) == 1:
                y = layer.op(env[inputs[0]], threads=threads)
            else:
                y = layer.op(*[env[s] for s in inputs], threads=threads)
            if profile:
                times.append((layer.name, clock() - t0))
            env[layer.name] = y
            for s in free:
                del env[s]
        return (y, times) if profile else y


# ---------------------------------------------------------------- helpers

def _divisible(v, divisor=8):
    """Keras/TF channel rounding of width-multiplied layers."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new < 0.9 * v:
        new += divisor
    return new


def _f32(v):
    return float(np.float32(v))


def _qparams(lo, hi, relu6=False):
    """(scale, zero_point, output_min, output_max) of int8 activations covering [lo, hi] (and 0)."""
    if relu6:
        lo, hi = 0.0, min(float(hi), 6.0)
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-6:
        hi = lo + 1e-6
    scale = _f32((hi - lo) / 255.0)
    zp = int(np.clip(np.rint(-128 - lo / scale), -128, 127))
    if relu6:
        return scale, zp, zp, int(min(127, zp + np.rint(6.0 / scale)))
    return scale, zp, None, None


def _dequant(q, scale, zp):
    return (q.astype(np.float32) - np.float32(zp)) * np.float32(scale)


def _float_conv(xf, w, bias, stride, padding, depthwise):
    """Float conv of NHWC xf with OHWI (or [KH, KW, C] depthwise) weights, padding like the op."""
    n, h, wd, c = xf.shape
    kh, kw = (w.shape[0], w.shape[1]) if depthwise else (w.shape[1], w.shape[2])
    s = _conv.pair("stride", stride)
    pt, pb, pl, pr = _conv.resolve(_conv.padding(padding), h, wd, kh, kw, s, (1, 1))
    oh, ow = _conv.output_size(h, wd, kh, kw, s, (1, 1), (pt, pb, pl, pr))
    xp = np.pad(xf, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    y = np.zeros((n, oh, ow, w.shape[-1] if depthwise else w.shape[0]), np.float32)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + (oh - 1) * s[0] + 1:s[0], j:j + (ow - 1) * s[1] + 1:s[1], :]
            y += patch * w[i, j] if depthwise else patch @ w[:, i, j, :].T
    return y + bias


class _Int8Builder:
    """Adds quantized layers one by one, calibrating each output's scale on the fly.

    Each layer: random float weights -> per-channel int8; the float output of the
    layer on the dequantized (actual int8) calibration activation gives its range,
    hence its output scale and zero point; the operator is then built and run on the
    int8 calibration activation to produce the next layer's input.
    """

    def __init__(self, rng, x_calib):
        self.rng = rng
        self.layers = []
        # name -> (int8 calibration activation, scale, zero point)
        self.act = {"input": (x_calib, INPUT_SCALE, 0)}
        self.last = "input"

    def _add(self, name, kind, inputs, spec, macs, y_float=None, relu6=False, qp=None):
        scale, zp, lo, hi = qp if qp is not None else _qparams(y_float.min(), y_float.max(), relu6)
        spec.update(output_scale=scale, output_zero_point=zp)
        if lo is not None:
            spec.update(output_min=lo, output_max=hi)
        layer = Layer(name, kind, inputs, spec, macs)
        y = layer.op(*[self.act[s][0] for s in inputs])
        self.layers.append(layer)
        self.act[name] = (y, scale, zp)
        self.last = name
        return name

    def _weights(self, shape, fan_in, cout_axis):
        w = self.rng.standard_normal(shape).astype(np.float32) * np.float32(np.sqrt(2.0 / fan_in))
        axes = tuple(a for a in range(len(shape)) if a != cout_axis % len(shape))
        wscale = (np.abs(w).max(axis=axes) / 127.0).astype(np.float32)
        wscale = np.maximum(wscale, np.float32(1e-8))
        bshape = [1] * len(shape)
        bshape[cout_axis] = -1
        wq = np.clip(np.rint(w / wscale.reshape(bshape)), -127, 127).astype(np.int8)
        return wq, wscale

    def _bias(self, cout, in_scale, wscale):
        bf = self.rng.normal(0.0, 0.1, cout).astype(np.float32)
        bq = np.rint(bf / (np.float64(in_scale) * wscale.astype(np.float64))).astype(np.int32)
        return bq, (bq.astype(np.float64) * in_scale * wscale).astype(np.float32)

    def conv(self, name, src, cout, k, stride, relu6):
        x, si, zi = self.act[src]
        cin = x.shape[-1]
        wq, ws = self._weights((cout, k, k, cin), k * k * cin, 0)
        bq, bf = self._bias(cout, si, ws)
        wf = wq.astype(np.float32) * ws[:, None, None, None]
        padding = "same" if k > 1 or stride > 1 else 0
        yf = _float_conv(_dequant(x, si, zi), wf, bf, stride, padding, False)
        spec = dict(weight=wq, bias=bq, stride=stride, padding=padding, input_scale=si, input_zero_point=zi,
                    weight_scale=ws)
        macs = yf.shape[1] * yf.shape[2] * cout * k * k * cin
        return self._add(name, "conv2d", (src,), spec, macs, yf, relu6)

    def dwconv(self, name, src, stride, relu6=True, k=3):
        x, si, zi = self.act[src]
        c = x.shape[-1]
        wq, ws = self._weights((k, k, c), k * k, -1)
        bq, bf = self._bias(c, si, ws)
        wf = wq.astype(np.float32) * ws
        yf = _float_conv(_dequant(x, si, zi), wf, bf, stride, "same", True)
        spec = dict(weight=wq, bias=bq, stride=stride, padding="same", input_scale=si, input_zero_point=zi,
                    weight_scale=ws)
        macs = yf.shape[1] * yf.shape[2] * c * k * k
        return self._add(name, "depthwise_conv2d", (src,), spec, macs, yf, relu6)

    def add(self, name, a, b):
        xa, sa, za = self.act[a]
        xb, sb, zb = self.act[b]
        yf = _dequant(xa, sa, za) + _dequant(xb, sb, zb)
        spec = dict(input1_scale=sa, input1_zero_point=za, input2_scale=sb, input2_zero_point=zb, dtype="int8")
        return self._add(name, "add", (a, b), spec, 0, yf)

    def pool(self, name, src):
        x, si, zi = self.act[src]
        yf = _dequant(x, si, zi).mean(axis=(1, 2))
        spec = dict(input_scale=si, input_zero_point=zi, dtype="int8")
        return self._add(name, "global_avg_pool2d", (src,), spec, 0, yf)

    def linear(self, name, src, n):
        x, si, zi = self.act[src]
        k = x.shape[-1]
        wq, ws = self._weights((n, k), k, 0)
        bq, bf = self._bias(n, si, ws)
        yf = _dequant(x, si, zi) @ (wq.astype(np.float32) * ws[:, None]).T + bf
        spec = dict(weight=wq, bias=bq, input_scale=si, input_zero_point=zi, weight_scale=ws)
        return self._add(name, "linear", (src,), spec, n * k, yf)

    def network(self, name, size, seed):
        _, so, zo = self.act[self.last]
        return Network(name, self.layers, np.int8, (size, size, 3), INPUT_SCALE, 0, so, zo, seed)


def _check_common(seed, input_size, width_mult, num_classes):
    import numbers
    for arg, v in (("seed", seed), ("input_size", input_size), ("num_classes", num_classes)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{arg} must be an int, got {type(v).__name__}")
    if isinstance(width_mult, bool) or not isinstance(width_mult, numbers.Real):
        raise TypeError(f"width_mult must be a number, got {type(width_mult).__name__}")
    if input_size < 8:
        raise ValueError(f"input_size must be at least 8, got {input_size}")
    if not 0 < width_mult <= 4:
        raise ValueError(f"width_mult must lie in (0, 4], got {width_mult}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")


def _v2_plan(width_mult, blocks, last_channels):
    """[(block index, expansion, cin, cout, stride)], stem channels, last channels."""
    import numbers
    nblocks = sum(n for _, _, n, _ in MOBILENET_V2_BLOCKS)
    if blocks is not None:
        if isinstance(blocks, bool) or not isinstance(blocks, numbers.Integral):
            raise TypeError(f"blocks must be an int or None, got {type(blocks).__name__}")
        if not 1 <= blocks <= nblocks:
            raise ValueError(f"blocks must lie in [1, {nblocks}], got {blocks}")
    stem = _divisible(32 * width_mult)
    last = last_channels if last_channels is not None else (_divisible(1280 * width_mult) if width_mult > 1 else 1280)
    if isinstance(last, bool) or not isinstance(last, numbers.Integral) or last < 1:
        raise ValueError(f"last_channels must be a positive int or None, got {last_channels!r}")
    plan, cin, i = [], stem, 0
    for t, c, n, s in MOBILENET_V2_BLOCKS:
        cout = _divisible(c * width_mult)
        for r in range(n):
            if blocks is None or i < blocks:
                plan.append((i, t, cin, cout, s if r == 0 else 1))
            cin = cout if (blocks is None or i < blocks) else cin
            i += 1
    return plan, stem, last


def mobilenet_v2(seed=0, *, input_size=224, width_mult=1.0, blocks=None, last_channels=None, num_classes=1000):
    """MobileNetV2 int8 (qs8), TFLite conventions, seeded random weights and calibrated scales.

    input_size: H = W of the input (and of the calibration input).  width_mult and
    blocks (keep the first `blocks` of the 17 inverted residual blocks) shrink the
    network for tests; last_channels defaults to 1280 (as Keras for width_mult <= 1).
    Layers: stem (3x3 s2 conv, ReLU6), b{i}.expand (1x1, ReLU6; absent in block 0),
    b{i}.dw (3x3 depthwise, ReLU6), b{i}.project (1x1, linear), b{i}.add (residual,
    when stride 1 and cin == cout), head (1x1 to last_channels, ReLU6), pool, fc.
    """
    _check_common(seed, input_size, width_mult, num_classes)
    plan, stem, last = _v2_plan(width_mult, blocks, last_channels)
    rng = np.random.default_rng(seed)
    x_calib = rng.integers(-128, 128, (1, input_size, input_size, 3), dtype=np.int8)
    b = _Int8Builder(rng, x_calib)
    h = b.conv("stem", "input", stem, 3, 2, relu6=True)
    for i, t, cin, cout, s in plan:
        src = h
        if t != 1:
            h = b.conv(f"b{i}.expand", h, cin * t, 1, 1, relu6=True)
        h = b.dwconv(f"b{i}.dw", h, s)
        h = b.conv(f"b{i}.project", h, cout, 1, 1, relu6=False)
        if s == 1 and cin == cout:
            h = b.add(f"b{i}.add", h, src)
    h = b.conv("head", h, last, 1, 1, relu6=True)
    h = b.pool("pool", h)
    b.linear("fc", h, num_classes)
    return b.network("mobilenet_v2", input_size, seed)


def mobilenet_v1(seed=0, *, input_size=224, width_mult=1.0, blocks=None, num_classes=1000):
    """MobileNetV1 int8 (qs8): stem (3x3 s2, ReLU6), 13 pairs b{i}.dw (3x3 depthwise, ReLU6) /
    b{i}.pw (1x1, ReLU6), pool, fc.  blocks keeps the first `blocks` pairs."""
    import numbers
    _check_common(seed, input_size, width_mult, num_classes)
    if blocks is not None:
        if isinstance(blocks, bool) or not isinstance(blocks, numbers.Integral):
            raise TypeError(f"blocks must be an int or None, got {type(blocks).__name__}")
        if not 1 <= blocks <= len(MOBILENET_V1_LAYERS):
            raise ValueError(f"blocks must lie in [1, {len(MOBILENET_V1_LAYERS)}], got {blocks}")
    rng = np.random.default_rng(seed)
    x_calib = rng.integers(-128, 128, (1, input_size, input_size, 3), dtype=np.int8)
    b = _Int8Builder(rng, x_calib)
    h = b.conv("stem", "input", max(8, int(32 * width_mult)), 3, 2, relu6=True)
    for i, (c, s) in enumerate(MOBILENET_V1_LAYERS[:blocks]):
        h = b.dwconv(f"b{i}.dw", h, s)
        h = b.conv(f"b{i}.pw", h, max(8, int(c * width_mult)), 1, 1, relu6=True)
    h = b.pool("pool", h)
    b.linear("fc", h, num_classes)
    return b.network("mobilenet_v1", input_size, seed)


# ---------------------------------------------------------------- sparse fp32, CHW

def _prune(w, sparsity, rng):
    """Zero a random `sparsity` fraction of w (exactly round(sparsity * w.size) entries)."""
    k = int(round(sparsity * w.size))
    if k:
        idx = rng.permutation(w.size)[:k]
        w = w.copy()
        w.reshape(-1)[idx] = 0
    return w


def mobilenet_v2_sparse(seed=0, *, sparsity=0.8, input_size=224, width_mult=1.0, blocks=None,
                        last_channels=None, num_classes=1000, mode="sparse"):
    """MobileNetV2 in fp32 CHW with sparse 1x1 layers (XNNPACK's sparse inference graph).

    sparsity in [0, 1): fraction of each 1x1 weight (expand, project, head) zeroed at
    random (seeded; the classifier stays dense).  mode is passed to every
    qk.SparseConv1x1: "sparse" (default, the SpMM kernels even at 0%), "dense" (BLAS:
    the dense fp32 baseline) or "auto".  The input is float32 HWC [1, H, W, 3] (or
    [H, W, 3]); the stem pads 1 on every side (PyTorch convention), so input_size
    need not be even.  Layer names as in mobilenet_v2; the output is float32 [1, classes].
    """
    import numbers
    _check_common(seed, input_size, width_mult, num_classes)
    if isinstance(sparsity, bool) or not isinstance(sparsity, numbers.Real):
        raise TypeError(f"sparsity must be a number, got {type(sparsity).__name__}")
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must lie in [0, 1), got {sparsity}")
    if mode not in ("sparse", "dense", "auto"):
        raise ValueError(f"mode must be 'sparse', 'dense' or 'auto', got {mode!r}")
    plan, stem, last = _v2_plan(width_mult, blocks, last_channels)
    rng = np.random.default_rng(seed)
    prune_rng = np.random.default_rng([seed, 1])
    layers = []
    hw = [(input_size - 1) // 2 + 1]  # current spatial size

    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def bias(c):
        return rng.normal(0.0, 0.1, c).astype(np.float32)

    def pw(name, src, cin, cout, relu6):
        w = _prune(he((cout, cin), cin), sparsity, prune_rng)
        if sparsity > 0:  # keep the activations' magnitude as the density falls
            w = (w / np.sqrt(1.0 - sparsity)).astype(np.float32)
        spec = dict(weight=w, bias=bias(cout), mode=mode)
        if relu6:
            spec.update(output_min=0.0, output_max=6.0)
        nnz = int(np.count_nonzero(w))
        layers.append(Layer(name, "sparse_conv1x1", (src,), spec, nnz * hw[0] ** 2))
        return name

    layers.append(Layer("stem", "chw_conv2d_hwc2chw", ("input",),
                        dict(weight=he((stem, 3, 3, 3), 27), bias=bias(stem), output_min=0.0, output_max=6.0),
                        stem * 27 * hw[0] ** 2))
    h = "stem"
    for i, t, cin, cout, s in plan:
        src = h
        mid = cin * t
        if t != 1:
            h = pw(f"b{i}.expand", h, cin, mid, True)
        hw[0] = (hw[0] - 1) // s + 1
        layers.append(Layer(f"b{i}.dw", "chw_depthwise_conv2d", (h,),
                            dict(weight=he((mid, 3, 3), 9), bias=bias(mid), stride=s, output_min=0.0,
                                 output_max=6.0), mid * 9 * hw[0] ** 2))
        h = pw(f"b{i}.project", f"b{i}.dw", mid, cout, False)
        if s == 1 and cin == cout:
            layers.append(Layer(f"b{i}.add", "add_f32", (h, src), {}))
            h = f"b{i}.add"
    h = pw("head", h, plan[-1][3], last, True)
    layers.append(Layer("pool", "chw_global_avg_pool", (h,), {}))
    layers.append(Layer("pool.image", "to_image", ("pool",), {}))
    layers.append(Layer("fc", "sparse_conv1x1", ("pool.image",),
                        dict(weight=he((num_classes, last), last), bias=bias(num_classes), mode=mode),
                        num_classes * last))
    layers.append(Layer("logits", "from_image", ("fc",), {}))
    return Network("mobilenet_v2_sparse", layers, np.float32, (input_size, input_size, 3), seed=seed)


from ._tflite import load_tflite  # noqa: E402  (needs the optional `tflite` package only when called)

__all__ += ["load_tflite"]
