"""`qkernels bench --end-to-end`: whole networks (qkernels.models) per thread count, with peers.

    python -m qkernels bench --model mobilenet_v2 --end-to-end --threads 1,2

Prints, for the int8 network: latency (median) per thread count, the layers
that take the most time, and the same network built from the same weights and
quantization parameters in ONNX Runtime (QLinearConv / QLinearAdd /
QLinearGlobalAveragePool graph, int8) when onnxruntime and onnx are
installed, with its latency and how its logits agree with ours (exact %,
within 1 LSB %, top-1 match).  With --tflite PATH the int8 network is the
file's (qk.models.load_tflite) and the TFLite interpreter is a peer too.  For mobilenet_v2 also the sparse fp32 CHW
network at each --sparsity (default 0, 0.7, 0.8, 0.9; SpMM kernels) next to
the dense fp32 baseline (the same graph with its 1x1 layers as BLAS matmuls).
"""
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


def agreement(got, ours):
    """{exact %, within-1-LSB %, top-1 match} of a peer's int8 logits vs ours."""
    d = np.abs(got.astype(np.int32) - ours.astype(np.int32))
    return {"exact": float(np.mean(d == 0) * 100), "within1": float(np.mean(d <= 1) * 100),
            "max_diff": int(d.max()),
            "top1": bool(np.array_equal(np.argmax(got, axis=-1), np.argmax(ours, axis=-1)))}


# ------------------------------------------------------------------ the run

def _fmt_ms(s):
    return f"{s * 1e3:.2f} ms"


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
                     f"{2 * net.macs / m['median'] / 1e9:.1f}", "reference", "", "", ""])
    if not args.no_peers:
        for t in threads:
            progress(f"onnxruntime, {t} thread(s)")
            try:
                fn, version = ort_int8(net, t)
                got = fn(x)
            except BenchError as e:
                out.write(f"  onnxruntime: {e}\n")
                break
            a = agreement(got, ours)
            m = measure(lambda: fn(x), repeat, min_time)
            res["peers"][f"onnxruntime {t}"] = dict(m, version=version, **a)
            rows.append([f"onnxruntime {version} {t}T", _fmt_ms(m["min"]), _fmt_ms(m["median"]), _fmt_ms(m["max"]),
                         f"{2 * net.macs / m['median'] / 1e9:.1f}",
                         f"{m['median'] / res['int8'][t]['median']:.2f}x",
                         f"{a['exact']:.1f}%", f"{a['within1']:.1f}%", "yes" if a["top1"] else "NO"])
    if tfl and not args.no_peers:
        for t in threads:
            progress(f"TFLite interpreter, {t} thread(s)")
            try:
                fn, version = tflite_interpreter(net, t)
                got = fn(x)
            except BenchError as e:
                out.write(f"  TFLite: {e}\n")
                break
            a = agreement(got, ours)
            m = measure(lambda: fn(x), repeat, min_time)
            res["peers"][f"tflite {t}"] = dict(m, version=version, **a)
            rows.append([f"TFLite {version} {t}T", _fmt_ms(m["min"]), _fmt_ms(m["median"]), _fmt_ms(m["max"]),
                         f"{2 * net.macs / m['median'] / 1e9:.1f}",
                         f"{m['median'] / res['int8'][t]['median']:.2f}x",
                         f"{a['exact']:.1f}%", f"{a['within1']:.1f}%", "yes" if a["top1"] else "NO"])
    out.write(render_table(["impl", "min", "median", "max", "GOP/s", "peer/ours", "exact", "<=1 LSB", "top-1"],
                           rows, "lrrrrrrrl") + "\n")

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
