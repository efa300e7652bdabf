"""`qkernels bench --end-to-end`: whole networks (qkernels.models) per thread count, with peers.

    python -m qkernels bench --model mobilenet_v2 --end-to-end --threads 1,2

Prints, for the int8 network: latency (median) per thread count, the layers
that take the most time, and the same network built from the same weights and
quantization parameters in ONNX Runtime (QLinearConv / QLinearAdd /
QLinearGlobalAveragePool graph, int8) when onnxruntime and onnx are
installed, and in PyTorch's quantized engine (torch.ao.nn.quantized, under
both its fbgemm and qnnpack backends, torch.set_num_threads per thread count)
when torch is installed, each with its latency and how its logits agree with
ours (exact %, within 1 LSB %, max |diff|, top-1 match), checked before it is
timed; a peer whose top-1 class differs or whose logits are off by more than
32 LSB is marked OUTPUT DIFFERS.  --peers onnxruntime,torch-fbgemm,torch-qnnpack
selects among them.  With --tflite PATH the int8 network is the file's
(qk.models.load_tflite) and the TFLite interpreter is a peer too.  For mobilenet_v2 also the sparse fp32 CHW
network at each --sparsity (default 0, 0.7, 0.8, 0.9; SpMM kernels) next to
the dense fp32 baseline (the same graph with its 1x1 layers as BLAS matmuls).
"""
import importlib
import statistics

import numpy as np

from ._bench_cases import BenchError

MODELS = ("mobilenet_v2", "mobilenet_v1")
SPARSITIES = (0.0, 0.7, 0.8, 0.9)


# ------------------------------------------------------------------ ONNX Runtime peer

def _ort_pads(layer, h, w):
    """ONNX pads [top, left, bottom, right] of a conv layer on an h x w input ('same' as TF)."""
    from . import _conv
    s = layer.spec
    if layer.kind == "conv2d":
        kh, kw = s["weight"].shape[1:3]
    else:
        kh, kw = s["weight"].shape[:2]
    stride = _conv.pair("stride", s.get("stride", 1))
    pt, pb, pl, pr = _conv.resolve(_conv.padding(s.get("padding", 0)), h, w, kh, kw, stride, (1, 1))
    oh, ow = _conv.output_size(h, w, kh, kw, stride, (1, 1), (pt, pb, pl, pr))
    return [pt, pl, pb, pr], list(stride), (oh, ow)


def ort_int8(net, threads):
    """The int8 network as an ONNX Runtime session; returns fn(x int8 NHWC [1,H,W,3]) -> int8 logits [1, N].

    Raises BenchError if onnxruntime/onnx are missing or the graph is not supported."""
    try:
        import onnx
        import onnxruntime as ort
    except ImportError as e:
        raise BenchError(f"onnxruntime peer unavailable ({e})") from None
    h, nh, TP = onnx.helper, onnx.numpy_helper, onnx.TensorProto
    nodes, inits = [], []
    qp = {"input": (net.input_scale, net.input_zero_point)}
    size = {"input": net.input_shape[:2]}

    def const(name, value):
        inits.append(nh.from_array(value, name))
        return name

    # Activations as uint8 with zero point + 128 (the same real values; ORT's fast U8S8 path).
    def scalars(prefix, scale, zp):
        return [const(prefix + ".s", np.array(scale, np.float32)), const(prefix + ".z", np.array(zp + 128, np.uint8))]

    nodes.append(h.make_node("Transpose", ["input_nhwc"], ["input"], perm=[0, 3, 1, 2]))
    for layer in net.layers:
        s, name = layer.spec, layer.name
        src = layer.inputs
        out_q = (s["output_scale"], s["output_zero_point"])
        if layer.kind in ("conv2d", "depthwise_conv2d", "linear"):
            if layer.kind == "linear":
                w4 = s["weight"][:, :, None, None]
                attrs, hw = dict(kernel_shape=[1, 1]), (1, 1)
            else:
                ih, iw = size[src[0]]
                pads, stride, hw = _ort_pads(layer, ih, iw)
                if layer.kind == "conv2d":
                    w4 = s["weight"].transpose(0, 3, 1, 2)
                    group = 1
                else:
                    w4 = s["weight"].transpose(2, 0, 1)[:, None]
                    group = w4.shape[0]
                attrs = dict(kernel_shape=list(w4.shape[2:]), strides=stride, pads=pads, group=group)
            n = w4.shape[0]
            ins = [src[0], *scalars(src[0] + ".q", *qp[src[0]]), const(name + ".w", np.ascontiguousarray(w4)),
                   const(name + ".ws", np.asarray(s["weight_scale"], np.float32)),
                   const(name + ".wz", np.zeros(n, np.int8)), *scalars(name + ".q", *out_q),
                   const(name + ".b", np.asarray(s["bias"], np.int32))]
            nodes.append(h.make_node("QLinearConv", ins, [name], **attrs))
            size[name] = hw
        elif layer.kind == "add":
            ins = [src[0], *scalars(src[0] + ".qa", *qp[src[0]]), src[1], *scalars(src[1] + ".qb", *qp[src[1]]),
                   *scalars(name + ".q", *out_q)]
            nodes.append(h.make_node("QLinearAdd", ins, [name], domain="com.microsoft"))
            size[name] = size[src[0]]
        elif layer.kind == "global_avg_pool2d":
            ins = [src[0], *scalars(src[0] + ".qp", *qp[src[0]]), *scalars(name + ".q", *out_q)]
            nodes.append(h.make_node("QLinearGlobalAveragePool", ins, [name], domain="com.microsoft",
                                     channels_last=0))
            size[name] = (1, 1)
        else:
            raise BenchError(f"onnxruntime peer: layer kind {layer.kind!r} not supported")
        qp[name] = out_q
    last = net.layers[-1].name
    nodes.append(h.make_node("Flatten", [last], ["logits"], axis=1))
    n_out = net.layers[-1].spec["weight"].shape[0]
    hh, ww, c = net.input_shape
    graph = h.make_graph(nodes, net.name, [h.make_tensor_value_info("input_nhwc", TP.UINT8, [1, hh, ww, c])],
                         [h.make_tensor_value_info("logits", TP.UINT8, [1, n_out])], inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 13), h.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    try:
        sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - any ORT build/kernel failure: the peer is unavailable
        raise BenchError(f"onnxruntime peer: {type(e).__name__}: {str(e).splitlines()[0][:200]}") from None

    def run(x):
        return (sess.run(None, {"input_nhwc": x.view(np.uint8) ^ np.uint8(0x80)})[0] ^ np.uint8(0x80)).view(np.int8)

    return run, ort.__version__


def tflite_interpreter(net, threads):
    """The TFLite interpreter (ai_edge_litert, default XNNPACK delegate) on net's .tflite file.

    Returns (fn(x int8 [1, H, W, C]) -> int8 logits [1, N], version).  The logits are
    the file's tensor that net.tflite["output_tensor"] names (before any SOFTMAX),
    read with experimental_preserve_all_tensors."""
    try:
        import warnings

        import ai_edge_litert
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as e:
        raise BenchError(f"TFLite interpreter unavailable ({e})") from None
    info = net.tflite
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        it = Interpreter(model_path=info["path"], num_threads=threads, experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    inp = it.get_input_details()[0]

    def run(x):
        if inp["dtype"] == np.float32:  # a QUANTIZE from float input: feed x's exact real values
            x = (x.astype(np.float32) - np.float32(net.input_zero_point)) * np.float32(net.input_scale)
        it.set_tensor(inp["index"], x)
        it.invoke()
        return it.get_tensor(info["output_tensor"]).reshape(x.shape[0], -1)
    return run, getattr(ai_edge_litert, "__version__", "?")


# ------------------------------------------------------------------ PyTorch peer

TORCH_ENGINES = ("fbgemm", "qnnpack")


def _torch_clamp(layer):
    """How layer's output clamp maps onto torch: None (the int8 saturation alone; TFLite's
    ReLU6 with a calibrated scale is exactly that), "relu" (clamp at the zero point)."""
    s = layer.spec
    zp = s["output_zero_point"]
    lo = max(-128, s.get("output_min") if s.get("output_min") is not None else -128)
    hi = min(127, s.get("output_max") if s.get("output_max") is not None else 127)
    if hi == 127 and lo == -128:
        return None
    if hi == 127 and lo == zp:
        return "relu"
    raise BenchError(f"torch peer: layer {layer.name!r} clamps to [{lo}, {hi}] (zero point {zp}); "
                     "torch's quantized convs fuse only ReLU")


def torch_int8(net, engine):
    """The int8 network in PyTorch's quantized engine (torch.ao.nn.quantized), built from
    the same int8 weights, int32 biases and scales; returns fn(x int8 NHWC [1,H,W,3]) ->
    int8 logits [1, N] and torch's version.

    Build and run it inside _bench_peers.TorchPeer(engine).threads(n): the weights are
    prepacked for the engine selected at build time, and the engine and
    torch.set_num_threads(n) must hold while it runs.  Raises BenchError if torch or
    the engine is missing or a layer has no torch counterpart.

    Activations: torch's fbgemm and qnnpack engines take quint8 activations (with qint8
    weights), so every int8 activation of ours (zero point z) is the uint8 tensor of the
    same bytes XOR 0x80 with zero point z + 128.  q - z is unchanged, so the real values
    and all the integer arithmetic (sums, requantization, saturation at 0/255 = -128/127)
    are exactly those of the int8 network; only each engine's own rounding differs.
    Layers:
      conv2d / depthwise_conv2d -> nnq.Conv2d (groups=C for depthwise), weights
        OHWI / [KH,KW,C] -> OIHW qint8 per output channel (scale weight_scale, zero point
        0), float bias = bias * input_scale * weight_scale (the engines requantize it back
        to the same int32), NCHW tensors in channels_last memory, i.e. our NHWC bytes.
        TF "same" padding that is asymmetric (stride 2 on an even size: the extra pixel
        at the bottom/right; torch's convs pad symmetrically) becomes an explicit pad with
        the zero point (real 0), as our kernels pad, into a buffer made once per layer,
        and an unpadded conv (fbgemm then leaves its depthwise fast path, which wants
        symmetric pads: symmetric_variant gives the PyTorch-convention network).  ReLU6
        needs nothing: with the calibrated scales its clamp is the int8 range
        (_torch_clamp checks).
      add -> QFunctional.add (dequantize both, add, requantize to the output scale).
      global_avg_pool2d -> quantized adaptive_avg_pool2d (torch keeps the input's
        scale / zero point through average pooling, as in torch's own quantized
        MobileNetV2), then, if they differ from the layer's, a requantize to its scale /
        zero point (dequantize + quantize_per_tensor on the C pooled values).
      linear -> nnq.Linear (qint8 per-channel weights).
    """
    try:
        torch = importlib.import_module("torch")
        nnq = importlib.import_module("torch.ao.nn.quantized")
        nniq = importlib.import_module("torch.ao.nn.intrinsic.quantized")
        F = importlib.import_module("torch.nn.functional")
    except ImportError as e:
        raise BenchError(f"torch peer unavailable ({e})") from None
    if engine not in torch.backends.quantized.supported_engines:
        raise BenchError(f"torch peer: this torch build has no {engine} engine")
    if torch.backends.quantized.engine != engine:
        raise BenchError(f"torch peer: build inside TorchPeer({engine!r}).threads(n) (engine is "
                         f"{torch.backends.quantized.engine})")

    def weight(w, ws):
        n = w.shape[0]
        return torch._make_per_channel_quantized_tensor(
            torch.from_numpy(np.ascontiguousarray(w)), torch.from_numpy(np.broadcast_to(
                np.asarray(ws, np.float64), (n,)).copy()), torch.zeros(n, dtype=torch.int64), 0)

    def fbias(s):
        return torch.from_numpy((s["bias"].astype(np.float64) * float(s["input_scale"])
                                 * np.asarray(s["weight_scale"], np.float64)).astype(np.float32))

    size = {"input": net.input_shape[:2]}
    steps = []  # (fn(*inputs), input names), one per layer
    for layer in net.layers:
        s, name, src = layer.spec, layer.name, layer.inputs
        zp_u8 = int(s["output_zero_point"]) + 128
        if layer.kind in ("conv2d", "depthwise_conv2d"):
            ih, iw = size[src[0]]
            (pt, pl, pb, pr), stride, size[name] = _ort_pads(layer, ih, iw)
            if layer.kind == "conv2d":
                w = s["weight"].transpose(0, 3, 1, 2)  # OHWI -> OIHW
                cin, groups = w.shape[1], 1
            else:
                w = s["weight"].transpose(2, 0, 1)[:, None]  # [KH,KW,C] -> [C,1,KH,KW]
                cin = groups = w.shape[0]
            sym = pt == pb and pl == pr
            cls = nniq.ConvReLU2d if _torch_clamp(layer) == "relu" else nnq.Conv2d
            mod = cls(cin, w.shape[0], tuple(w.shape[2:]), stride=tuple(stride),
                      padding=(pt, pl) if sym else 0, groups=groups)
            mod.set_weight_bias(weight(w, s["weight_scale"]), fbias(s))
            mod.scale, mod.zero_point = float(s["output_scale"]), zp_u8
            if sym:
                fn = mod
            else:
                # The padded input lives in a buffer filled once with the input's zero point;
                # each call copies the image into its interior (quantized copy_ with equal
                # scale / zero point copies the bytes).  F.pad on a quantized channels_last
                # tensor does the same but took 1.9 ms for a 48x48x96 image here, against
                # 11 us for the copy, which would have timed torch's pad, not its conv.
                buf = F.pad(torch._make_per_tensor_quantized_tensor(
                    torch.full((1, cin, ih, iw), int(s["input_zero_point"]) + 128, dtype=torch.uint8),
                    float(s["input_scale"]), int(s["input_zero_point"]) + 128), (pl, pr, pt, pb))
                buf = buf.contiguous(memory_format=torch.channels_last)

                def fn(x, mod=mod, buf=buf, inner=(slice(None), slice(None), slice(pt, pt + ih),
                                                   slice(pl, pl + iw))):
                    buf[inner].copy_(x)
                    return mod(buf)
        elif layer.kind == "linear":
            w = s["weight"]
            mod = (nniq.LinearReLU if _torch_clamp(layer) == "relu" else nnq.Linear)(
                w.shape[1], w.shape[0], dtype=torch.qint8)
            mod.set_weight_bias(weight(w, s["weight_scale"]), fbias(s))
            mod.scale, mod.zero_point = float(s["output_scale"]), zp_u8

            def fn(x, mod=mod):
                return mod(x.reshape(x.shape[0], -1))
            size[name] = (1, 1)
        elif layer.kind == "add":
            if _torch_clamp(layer) is not None:
                raise BenchError(f"torch peer: clamped add {name!r}")
            mod = nnq.QFunctional()
            mod.scale, mod.zero_point = float(s["output_scale"]), zp_u8
            fn = mod.add
            size[name] = size[src[0]]
        elif layer.kind == "global_avg_pool2d":
            if _torch_clamp(layer) is not None:
                raise BenchError(f"torch peer: clamped pool {name!r}")

            same = (float(s["output_scale"]), zp_u8) == (float(s["input_scale"]), int(s["input_zero_point"]) + 128)

            def fn(x, scale=float(s["output_scale"]), zp=zp_u8, same=same):
                y = F.adaptive_avg_pool2d(x, 1)
                return y if same else torch.quantize_per_tensor(y.dequantize(), scale, zp, torch.quint8)
            size[name] = (1, 1)
        else:
            raise BenchError(f"torch peer: layer kind {layer.kind!r} not supported")
        steps.append((fn, src))

    # free each intermediate after its last reader, as Network.run does
    last = {}
    for i, (_, src) in enumerate(steps):
        for n in src:
            last[n] = i
    names = [layer.name for layer in net.layers]
    plan = [(fn, src, names[i], [n for n in src if last[n] == i]) for i, (fn, src) in enumerate(steps)]
    in_scale, in_zp = float(net.input_scale), int(net.input_zero_point) + 128

    def to_i8(y):
        """quint8 torch tensor (NCHW in channels_last memory, or [N, C]) -> our int8 numpy (NHWC)."""
        r = y.int_repr()
        if r.dim() == 4:
            r = r.permute(0, 2, 3, 1)
        return (np.ascontiguousarray(r.numpy()) ^ np.uint8(0x80)).view(np.int8)

    def run(x, trace=None):
        """trace: a dict to fill with every layer's int8 output, NHWC (debugging)."""
        with torch.inference_mode():
            xu = torch.from_numpy(np.ascontiguousarray(x.view(np.uint8) ^ np.uint8(0x80))).permute(0, 3, 1, 2)
            env = {"input": torch._make_per_tensor_quantized_tensor(xu, in_scale, in_zp)}
            y = None
            for fn, src, name, free in plan:
                y = fn(*[env[n] for n in src])
                env[name] = y
                if trace is not None:
                    trace[name] = to_i8(y)
                for n in free:
                    del env[n]
            return to_i8(y)

    return run, torch.__version__


_FBGEMM_NOTE = ("; fbgemm's depthwise conv is not exact on full-range uint8 activations x int8 weights "
                "(int16 overflow: torch's own fbgemm recipe quantizes activations to 7 bits, reduce_range)")


def symmetric_variant(net):
    """net with each asymmetric TF "same" pad (stride 2 on an even size) replaced by PyTorch's
    symmetric (k - 1) / 2 pad, which gives the same output size and work; the same weights,
    biases and scales.  None if net has no asymmetric pad."""
    from . import models
    size = {"input": net.input_shape[:2]}
    layers, changed = [], False
    for layer in net.layers:
        spec = layer.spec
        if layer.kind in ("conv2d", "depthwise_conv2d"):
            (pt, pl, pb, pr), stride, size[layer.name] = _ort_pads(layer, *size[layer.inputs[0]])
            if (pt, pl) != (pb, pr):
                kh, kw = spec["weight"].shape[1:3] if layer.kind == "conv2d" else spec["weight"].shape[:2]
                spec = dict(spec, padding=((kh - 1) // 2, (kw - 1) // 2))
                probe = models.Layer(layer.name, layer.kind, layer.inputs, spec)
                if _ort_pads(probe, *size[layer.inputs[0]])[2] != size[layer.name]:
                    raise BenchError(f"layer {layer.name!r}: no symmetric pad with the same output size")
                layers.append(probe)
                changed = True
                continue
        else:
            size[layer.name] = size[layer.inputs[0]]
        layers.append(models.Layer(layer.name, layer.kind, layer.inputs, spec, layer.macs))
    if not changed:
        return None
    return models.Network(net.name + "_pad1", layers, net.dtype, net.input_shape, net.input_scale,
                          net.input_zero_point, net.output_scale, net.output_zero_point, net.seed)


def first_divergence(net, x, fn):
    """(layer name, kind, max diff) of the first layer where a traced peer (fn(x, trace=dict),
    as torch_int8 returns) is more than 1 LSB off our output of that layer; None, None, 0 if none."""
    trace = {}
    fn(x, trace=trace)
    env = {"input": x}
    for layer in net.layers:
        env[layer.name] = layer.op(*[env[s] for s in layer.inputs])
        ours = env[layer.name]
        d = int(np.abs(trace[layer.name].reshape(ours.shape).astype(np.int32) - ours.astype(np.int32)).max())
        if d > 1:
            return layer.name, layer.kind, d
    return None, None, 0


def agreement(got, ours):
    """{exact %, within-1-LSB %, top-1 match} of a peer's int8 logits vs ours."""
    d = np.abs(got.astype(np.int32) - ours.astype(np.int32))
    return {"exact": float(np.mean(d == 0) * 100), "within1": float(np.mean(d <= 1) * 100),
            "max_diff": int(d.max()),
            "top1": bool(np.array_equal(np.argmax(got, axis=-1), np.argmax(ours, axis=-1)))}


# ------------------------------------------------------------------ the run

def _fmt_ms(s):
    return f"{s * 1e3:.2f} ms"


def _e2e_peers(args):
    """Names of the end-to-end peers selected by --peers (all by default)."""
    known = ["onnxruntime"] + ["torch-" + e for e in TORCH_ENGINES]
    if not getattr(args, "peers", None):
        return known
    wanted = [w.strip() for w in args.peers.split(",") if w.strip()]
    bad = [w for w in wanted if w not in known]
    if bad or not wanted:
        raise BenchError(f"--peers: with --end-to-end one of {', '.join(known)}, got {(bad or [args.peers])[0]!r}")
    return wanted


def _peer_row(res, key, label, fn, x, ours, version, net, t, measure, repeat, min_time):
    """Check a peer's logits against ours, then time it; its table row (and res["peers"][key])."""
    a = agreement(fn(x), ours)
    m = measure(lambda: fn(x), repeat, min_time)
    # trusted: the same prediction and no element off by more than 1/8 of the int8 range
    trusted = a["top1"] and a["max_diff"] <= 32
    res["peers"][key] = dict(m, version=version, trusted=trusted, **a)
    return [label + ("" if trusted else " (OUTPUT DIFFERS)"), _fmt_ms(m["min"]), _fmt_ms(m["median"]),
            _fmt_ms(m["max"]), f"{2 * net.macs / m['median'] / 1e9:.1f}",
            f"{m['median'] / res['int8'][t]['median']:.2f}x", f"{a['exact']:.1f}%", f"{a['within1']:.1f}%",
            str(a["max_diff"]), "yes" if a["top1"] else "NO"]


def run_e2e(args, out, measure, render_table, progress):
    import qkernels as qk
    from . import bench as B

    model = args.model or "mobilenet_v2"
    if model not in MODELS:
        raise BenchError(f"--model: with --end-to-end one of {', '.join(MODELS)}, got {model!r}")
    threads = B._parse_threads(args.threads, int(getattr(qk._ext, "MAX_THREADS", 256)))
    size = args.input_size
    if not isinstance(size, int) or size < 8:
        raise BenchError(f"--input-size must be an integer >= 8, got {size!r}")
    if not 0 < args.width_mult <= 4:
        raise BenchError(f"--width-mult must lie in (0, 4], got {args.width_mult}")
    sparsities = B._parse_sparsity(args.sparsity) if args.sparsity else list(SPARSITIES)
    repeat = args.repeat if args.repeat is not None else 5
    min_time = args.min_time if args.min_time is not None else 0.3
    tfl = getattr(args, "tflite", None)
    if tfl:
        progress(f"loading {tfl}")
        try:
            net = qk.models.load_tflite(tfl, model)
        except (OSError, ImportError, ValueError) as e:
            raise BenchError(f"--tflite: {e}") from None
        size = net.input_shape[0]
        source = f"weights from {tfl}"
    else:
        build = getattr(qk.models, model)
        progress(f"building {model} int8")
        net = build(seed=args.seed, input_size=size, width_mult=args.width_mult)
        source = f"seed {args.seed}"
    x = net.random_input(seed=args.seed + 1)
    ours = net(x)
    res = {"model": model, "input_size": size, "width_mult": None if tfl else args.width_mult, "macs": net.macs,
           "tflite": tfl, "int8": {}, "sparse": {}, "peers": {}}
    h, w, c = net.input_shape
    out.write(f"== {model} int8 (qs8) end to end | input 1x{h}x{w}x{c} | {net.macs / 1e6:.1f}M MACs | "
              f"{len(net.layers)} layers | {source}\n")
    kernels = sorted({getattr(l.op, "kernel", None) for l in net.layers} - {None})
    out.write("kernels: " + ", ".join(kernels) + "\n")
    rows = []
    for t in threads:
        progress(f"{model} int8, {t} thread(s)")
        m = measure(lambda: net(x, threads=t), repeat, min_time)
        res["int8"][t] = m
        rows.append([f"qkernels {t}T", _fmt_ms(m["min"]), _fmt_ms(m["median"]), _fmt_ms(m["max"]),
                     f"{2 * net.macs / m['median'] / 1e9:.1f}", "reference", "", "", "", ""])
    notes = []
    wanted = _e2e_peers(args)
    if not args.no_peers and "onnxruntime" in wanted:
        for t in threads:
            progress(f"onnxruntime, {t} thread(s)")
            try:
                fn, version = ort_int8(net, t)
                got = fn(x)
            except BenchError as e:
                notes.append(f"onnxruntime: {e}")
                break
            rows.append(_peer_row(res, f"onnxruntime {t}", f"onnxruntime {version} {t}T", fn, x, ours, version,
                                  net, t, measure, repeat, min_time))
    if not args.no_peers and any(w.startswith("torch-") for w in wanted):
        # PyTorch pads symmetrically; TF "same" on stride 2 / even sizes pads only the
        # bottom/right.  The "tf" rows reproduce our network exactly (explicit zero-point
        # pad, then an unpadded conv), the "pad1" rows run the PyTorch-convention variant
        # (same shapes and work) checked against qkernels running that same variant: fbgemm
        # takes its depthwise fast path only for symmetric pads.
        variants = [("", net, ours)]
        pnet = symmetric_variant(net)
        if pnet is not None:
            variants.append((" pad1", pnet, pnet(x)))
        from ._bench_peers import PeerUnavailable, TorchPeer
        for engine in TORCH_ENGINES:
            if "torch-" + engine not in wanted:
                continue
            peer = TorchPeer(engine)
            for tag, vnet, vours in variants:
                progress(f"torch {engine}{tag}: building")
                try:
                    peer.probe()
                    with peer.threads(threads[0]):
                        fn, version = torch_int8(vnet, engine)
                except (PeerUnavailable, BenchError) as e:
                    notes.append(f"torch-{engine}: {e}")
                    break
                key = f"torch-{engine}{tag.replace(' ', '-')}"
                for t in threads:
                    progress(f"torch {engine}{tag}, {t} thread(s)")
                    with peer.threads(t):
                        row = _peer_row(res, f"{key} {t}", f"torch {version} {engine}{tag} {t}T", fn, x, vours,
                                        version, net, t, measure, repeat, min_time)
                    rows.append(row)
                if res["peers"][f"{key} {threads[0]}"]["max_diff"] > 1:
                    with peer.threads(threads[0]):
                        name, kind, d = first_divergence(vnet, x, fn)
                    res["peers"][f"{key} {threads[0]}"]["first_divergence"] = name
                    notes.append(f"{key}: first layer off by more than 1 LSB: {name} ({kind}, max diff {d})"
                                 + (_FBGEMM_NOTE if engine == "fbgemm" and kind == "depthwise_conv2d" else ""))
        if pnet is not None:
            notes.append("pad1: the stride-2 layers padded 1 on every side (PyTorch's convention; TF 'same' pads "
                         "only the bottom/right on even sizes): the same shapes and work, checked against "
                         "qkernels running that variant; the rows without it reproduce our TF-style network "
                         "(an explicit zero-point pad, then an unpadded conv)")
    if tfl and not args.no_peers:
        for t in threads:
            progress(f"TFLite interpreter, {t} thread(s)")
            try:
                fn, version = tflite_interpreter(net, t)
                fn(x)
            except BenchError as e:
                notes.append(f"TFLite: {e}")
                break
            rows.append(_peer_row(res, f"tflite {t}", f"TFLite {version} {t}T", fn, x, ours, version,
                                  net, t, measure, repeat, min_time))
    out.write(render_table(["impl", "min", "median", "max", "GOP/s", "peer/ours", "exact", "<=1 LSB", "max diff",
                            "top-1"], rows, "lrrrrrrrrl") + "\n")
    for n in notes:
        out.write(f"  {n}\n")

    # per-layer breakdown: median over runs of each layer's time
    runs = max(3, repeat)
    per = {layer.name: [] for layer in net.layers}
    for _ in range(runs):
        _, times = net.run(x, threads=threads[0], profile=True)
        for name, s in times:
            per[name].append(s)
    med = {k: statistics.median(v) for k, v in per.items()}
    total = sum(med.values())
    res["layers"] = med
    by = {layer.name: layer for layer in net.layers}
    top = sorted(med.items(), key=lambda kv: -kv[1])[:args.top]
    out.write(f"\ntop {len(top)} layers by time ({threads[0]} thread(s), median of {runs} profiled runs; "
              f"sum of all layers {_fmt_ms(total)}):\n")
    lrows = []
    for name, s in top:
        layer = by[name]
        lrows.append([name, layer.kind, f"{layer.macs / 1e6:.2f}M", _fmt_ms(s), f"{100 * s / total:.1f}%",
                      getattr(layer.op, "kernel", "") or ""])
    out.write(render_table(["layer", "kind", "MACs", "median", "share", "kernel"], lrows, "llrrrl") + "\n")

    if model == "mobilenet_v2" and not args.no_sparse and not tfl:
        t = threads[0]
        out.write(f"\n== mobilenet_v2 fp32 CHW, sparse 1x1 layers (qk.SparseConv1x1) vs dense fp32 baseline | "
                  f"{t} thread(s)\n")
        srows = []
        progress("dense fp32 baseline")
        dense = qk.models.mobilenet_v2_sparse(seed=args.seed, sparsity=0.0, input_size=size,
                                              width_mult=args.width_mult, mode="dense")
        xf = dense.random_input()
        from ._bench_peers import _blas_limits
        with _blas_limits(t):
            md = measure(lambda: dense(xf, threads=t), repeat, min_time)
        res["sparse"]["dense"] = md
        srows.append(["dense (BLAS 1x1)", "0%", _fmt_ms(md["median"]), "1.00x", ""])
        for sp in sparsities:
            progress(f"sparse fp32 at {sp:.0%}")
            snet = qk.models.mobilenet_v2_sparse(seed=args.seed, sparsity=sp, input_size=size,
                                                 width_mult=args.width_mult, mode="sparse")
            y = snet(xf, threads=t)
            ref = qk.reference.run_model(snet, xf)
            err = float(np.max(np.abs(y - ref)) / max(float(np.max(np.abs(ref))), 1e-30))
            m = measure(lambda: snet(xf, threads=t), repeat, min_time)
            res["sparse"][sp] = dict(m, rel_err=err)
            srows.append(["sparse (SpMM)", f"{sp:.0%}", _fmt_ms(m["median"]), f"{md['median'] / m['median']:.2f}x",
                          f"{err:.1e}"])
        out.write(render_table(["network", "sparsity", "median", "speedup vs dense", "rel err vs reference"],
                               srows, "lrrrr") + "\n")
    return res
