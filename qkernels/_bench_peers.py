"""Peers of the benchmark: the same layer in other libraries, all optional.

Each peer builds its version of a case (same inputs, weights and quantization
parameters), pinned to the requested thread count, and returns
(fn, finish): `fn()` is what gets timed, `finish(result)` turns its result
into the canonical output of the case (outside the timing) so it can be
checked against ours before its time is trusted.

Quantized peers: PyTorch and ONNX Runtime take uint8 activations with int8
weights (U8S8).  Our qs8 case (int8 activations, zero point z) maps exactly
onto that by adding 128 to the activations and their zero points: the real
values, hence the exact results, are the same.
"""
import contextlib
import importlib
import warnings

import numpy as np

from . import reference as _ref


class PeerUnavailable(Exception):
    pass


def _import(name):
    """Import an optional module (tests replace this to simulate its absence)."""
    return importlib.import_module(name)


def _to_u8(x):
    """int8 array -> the uint8 array of the same real values (zero point + 128)."""
    return (x.view(np.uint8) ^ np.uint8(0x80)) if x.dtype == np.int8 else x


def _from_u8(y, dtype):
    y = np.asarray(y)
    return (y ^ np.uint8(0x80)).view(np.int8) if dtype == "qs8" else y


def _zp_u8(zp, dtype):
    return zp + 128 if dtype == "qs8" else zp


# ------------------------------------------------------------------ checks

def compare_quantized(got, ours):
    """+-1 LSB is accepted (peers round differently); more is a mismatch."""
    got = np.asarray(got)
    if got.shape != ours.shape:
        return {"status": "mismatch", "detail": f"shape {got.shape} != ours {ours.shape}"}
    d = np.abs(got.astype(np.int32) - ours.astype(np.int32))
    mx = int(d.max()) if d.size else 0
    n = int(np.count_nonzero(d))
    status = "exact" if mx == 0 else ("ok" if mx <= 1 else "mismatch")
    return {"status": status, "max_diff": mx, "n_diff": n, "size": int(d.size)}


def compare_float(got, ours, bound):
    got = np.asarray(got, dtype=np.float64)
    if got.shape != ours.shape:
        return {"status": "mismatch", "detail": f"shape {got.shape} != ours {ours.shape}"}
    d = np.abs(got - ours)
    bad = int(np.count_nonzero(d > bound))
    rel = float(np.max(d / np.maximum(bound, 1e-30))) * 1e-4 if d.size else 0.0
    return {"status": "close" if bad == 0 else "mismatch", "n_diff": bad, "max_rel_err": rel, "size": int(d.size)}


def float_bound(case):
    """|error| bound of a float32 result: 1e-4 relative to sum |w||x| + |b|."""
    x = case.x.reshape(case.x.shape[0], -1).astype(np.float64)
    mag = np.abs(case.w).astype(np.float64) @ np.abs(x) + np.abs(case.bias)[:, None]
    return 1e-4 * mag + 1e-6


def real_scales(case):
    q = case.q
    return q["input_scale"] * np.asarray(q["weight_scale"], np.float64) / q["output_scale"]


# ------------------------------------------------------------------ peers

class Peer:
    name = ""
    label = ""
    families = ()
    note = ""

    def probe(self):
        """Version string, or raise PeerUnavailable(reason)."""
        raise NotImplementedError

    def supports(self, family, dtype):
        """None if this peer can run layers of this family and dtype, else why not."""
        return None if family in self.families else "family not supported"

    def threads(self, n):
        return contextlib.nullcontext()

    def build(self, case, threads):
        raise NotImplementedError

    def check(self, case, result, ours):
        return compare_quantized(result, ours)


def _blas_limits(n):
    """Pin BLAS threads with threadpoolctl when it is installed."""
    try:
        tpc = _import("threadpoolctl")
    except ImportError:
        return contextlib.nullcontext()
    return tpc.threadpool_limits(limits=n, user_api="blas")


def _blas_note():
    try:
        _import("threadpoolctl")
        return ""
    except ImportError:
        return "BLAS threads not pinned (install threadpoolctl)"


class NumpyPeer(Peer):
    name = "numpy"
    label = "numpy f32 BLAS"
    families = ("gemm", "sparse")

    def probe(self):
        self.note = _blas_note()
        return np.__version__

    def threads(self, n):
        return _blas_limits(n)

    def build(self, case, threads):
        if case.layer.family == "sparse":
            w = np.ascontiguousarray(case.w)
            x = case.x.reshape(case.x.shape[0], -1)
            b = case.bias[:, None]

            def fn():
                y = w @ x
                y += b
                return y
            return fn, lambda y: y
        # GEMM as float: (x - zx) @ (w - zw)^T in float32, the dense fp32 reference.
        q = case.q
        a = (case.x.astype(np.float32) - np.float32(q["input_zero_point"]))
        wt = np.ascontiguousarray((case.w.astype(np.float32) - np.float32(q["weight_zero_point"])).T)
        return (lambda: a @ wt), lambda y: y

    def check(self, case, result, ours):
        if case.layer.family == "sparse":
            return compare_float(result, ours, float_bound(case))
        q = case.q
        acc = np.clip(np.rint(result.astype(np.float64)) + case.bias, -2**31, 2**31 - 1).astype(np.int32)
        lo, hi = (-128, 127) if case.dtype == "qs8" else (0, 255)
        scales = real_scales(case)
        y = _ref.requantize(acc, scales if scales.ndim else float(scales), q["output_zero_point"],
                            np.int8 if case.dtype == "qs8" else np.uint8, lo, hi)
        return compare_quantized(y, ours)


class ScipyPeer(Peer):
    name = "scipy"
    label = "scipy CSR"
    families = ("sparse",)

    def probe(self):
        self.sp = _import("scipy.sparse")
        return _import("scipy").__version__

    def build(self, case, threads):
        w = self.sp.csr_matrix(case.w)
        x = case.x.reshape(case.x.shape[0], -1)
        b = case.bias[:, None]

        def fn():
            y = w @ x
            y += b
            return y
        return fn, lambda y: np.asarray(y)

    def threads(self, n):
        self.note = "single-threaded" if n > 1 else ""
        return contextlib.nullcontext()

    def check(self, case, result, ours):
        return compare_float(result, ours, float_bound(case))


class TorchPeer(Peer):
    """torch.ao.nn.quantized Linear / Conv2d: quint8 activations, qint8 per-channel weights."""
    families = ("gemm", "conv", "dwconv")

    def __init__(self, engine):
        self.engine = engine
        self.name = "torch-" + engine
        self.label = "torch " + engine

    def probe(self):
        try:
            self.torch = _import("torch")
            self.nnq = _import("torch.ao.nn.quantized")
        except ImportError as e:
            raise PeerUnavailable(f"torch not installed ({e})") from None
        if self.engine not in self.torch.backends.quantized.supported_engines:
            raise PeerUnavailable(f"this torch build has no {self.engine} engine")
        return self.torch.__version__

    def supports(self, family, dtype):
        if family not in self.families:
            return "family not supported"
        if dtype != "qs8":
            return "torch quantized needs symmetric int8 weights (qs8)"
        return None

    @contextlib.contextmanager
    def threads(self, n):
        torch = self.torch
        old_threads, old_engine = torch.get_num_threads(), torch.backends.quantized.engine
        torch.set_num_threads(n)
        torch.backends.quantized.engine = self.engine
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        finally:
            torch.backends.quantized.engine = old_engine
            torch.set_num_threads(old_threads)

    def build(self, case, threads):
        torch, nnq = self.torch, self.nnq
        q, p, f = case.q, case.layer.params, case.layer.family
        ws = np.asarray(q["weight_scale"], np.float64)
        if f == "gemm":
            w = case.w
            mod = nnq.Linear(w.shape[1], w.shape[0], dtype=torch.qint8)
        elif f == "conv":
            w = np.ascontiguousarray(case.w.transpose(0, 3, 1, 2))  # OHWI -> OIHW
            mod = nnq.Conv2d(p["Cin"], p["Cout"], (p["KH"], p["KW"]), stride=p["stride"], padding=p["padding"])
        else:
            w = np.ascontiguousarray(case.w.transpose(2, 0, 1)[:, None])  # [KH,KW,C] -> [C,1,KH,KW]
            mod = nnq.Conv2d(p["C"], p["C"], (p["KH"], p["KW"]), stride=p["stride"], padding=p["padding"],
                             groups=p["C"])
        n = w.shape[0]
        qw = torch._make_per_channel_quantized_tensor(
            torch.from_numpy(w), torch.from_numpy(np.broadcast_to(ws, (n,)).copy()),
            torch.zeros(n, dtype=torch.int64), 0)
        bias = torch.from_numpy((case.bias * q["input_scale"] * ws).astype(np.float32))
        mod.set_weight_bias(qw, bias)
        mod.scale = float(q["output_scale"])
        mod.zero_point = int(_zp_u8(q["output_zero_point"], case.dtype))
        xu = torch.from_numpy(np.ascontiguousarray(_to_u8(case.x)))
        if f != "gemm":
            xu = xu.permute(0, 3, 1, 2)  # NHWC data seen as NCHW in channels_last memory order
        qx = torch._make_per_tensor_quantized_tensor(xu, float(q["input_scale"]),
                                                     int(_zp_u8(q["input_zero_point"], case.dtype)))
        if f != "gemm":
            qx = qx.contiguous(memory_format=torch.channels_last)

        def finish(y):
            r = y.int_repr()
            if f != "gemm":
                r = r.permute(0, 2, 3, 1)[0]
            return _from_u8(np.ascontiguousarray(r.numpy()), case.dtype)
        return (lambda: mod(qx)), finish


class OrtPeer(Peer):
    """ONNX Runtime CPU, models built in memory: QGemm / channels-last QLinearConv
    (com.microsoft, what ORT's own graph optimizer turns quantized models into),
    falling back to the standard NCHW QLinearConv."""
    name = "onnxruntime"
    label = "onnxruntime"
    families = ("gemm", "conv", "dwconv")

    def probe(self):
        try:
            self.ort = _import("onnxruntime")
        except ImportError as e:
            raise PeerUnavailable(f"onnxruntime not installed ({e})") from None
        try:
            self.onnx = _import("onnx")
        except ImportError as e:
            raise PeerUnavailable(f"onnx not installed, needed to build the models ({e})") from None
        return self.ort.__version__

    def _session(self, nodes, x, y, inits, threads):
        onnx = self.onnx
        h = onnx.helper
        graph = h.make_graph(nodes, "qkernels_bench", [x], [y], inits)
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", 13), h.make_opsetid("com.microsoft", 1)])
        model.ir_version = 8
        so = self.ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        return self.ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])

    def build(self, case, threads):
        try:
            return self._build(case, threads, contrib=True)
        except Exception:  # an ORT without the contrib ops: the standard ONNX graph
            return self._build(case, threads, contrib=False)

    def _build(self, case, threads, contrib):
        h, nh, TP = self.onnx.helper, self.onnx.numpy_helper, self.onnx.TensorProto
        q, p, f, dt = case.q, case.layer.params, case.layer.family, case.dtype
        ws = np.asarray(q["weight_scale"], np.float32)
        if f == "gemm":
            w = case.w
        elif f == "conv":
            w = np.ascontiguousarray(case.w.transpose(0, 3, 1, 2))
        else:
            w = np.ascontiguousarray(case.w.transpose(2, 0, 1)[:, None])
        n = w.shape[0]
        wdt = w.dtype
        inits = [
            nh.from_array(np.array(q["input_scale"], np.float32), "xs"),
            nh.from_array(np.array(_zp_u8(q["input_zero_point"], dt), np.uint8), "xz"),
            nh.from_array(ws, "ws"),
            nh.from_array(np.zeros(n, wdt) if ws.ndim else np.array(q["weight_zero_point"], wdt), "wz"),
            nh.from_array(np.array(q["output_scale"], np.float32), "ys"),
            nh.from_array(np.array(_zp_u8(q["output_zero_point"], dt), np.uint8), "yz"),
            nh.from_array(case.bias, "b"),
        ]
        xu = _to_u8(case.x)
        oshape = case.out_shape
        if f == "gemm" and contrib:
            inits.append(nh.from_array(w, "w"))
            node = h.make_node("QGemm", ["x", "xs", "xz", "w", "ws", "wz", "b", "ys", "yz"], ["y"],
                               domain="com.microsoft", transB=1)
            xin, feed, yshape = xu, xu, list(oshape)
            unshape = lambda y: y  # noqa: E731
        else:
            if f == "gemm":  # 1x1 conv over a [1, K, M, 1] image
                w4 = w.reshape(n, -1, 1, 1)
                attrs = dict(kernel_shape=[1, 1])
                xin = xu.T.reshape(1, xu.shape[1], xu.shape[0], 1)  # only reached without contrib ops
            else:
                w4 = w
                attrs = dict(kernel_shape=[p["KH"], p["KW"]], strides=[p["stride"]] * 2, pads=[p["padding"]] * 4,
                             group=1 if f == "conv" else p["C"])
                xin = xu
            inits.append(nh.from_array(w4, "w"))
            ins = ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"]
            if contrib:
                node = h.make_node("QLinearConv", ins, ["y"], domain="com.microsoft", channels_last=1, **attrs)
                yshape = [1] + list(oshape)
                unshape = lambda y: y[0]  # noqa: E731
            else:
                if f != "gemm":
                    xin = xu.transpose(0, 3, 1, 2)
                    yshape = [1, oshape[2], oshape[0], oshape[1]]
                    unshape = lambda y: y[0].transpose(1, 2, 0)  # noqa: E731
                else:
                    yshape = [1, oshape[1], oshape[0], 1]
                    unshape = lambda y: y[0, :, :, 0].T  # noqa: E731
                node = h.make_node("QLinearConv", ins, ["y"], **attrs)
            feed = np.ascontiguousarray(xin)
        sess = self._session([node], h.make_tensor_value_info("x", TP.UINT8, list(feed.shape)),
                             h.make_tensor_value_info("y", TP.UINT8, yshape), inits, threads)
        self.note = "" if contrib else "standard NCHW QLinearConv"
        feeds = {"x": feed}
        return (lambda: sess.run(None, feeds)[0]), (lambda y: _from_u8(np.ascontiguousarray(unshape(y)), dt))


def all_peers():
    return [TorchPeer("qnnpack"), TorchPeer("fbgemm"), OrtPeer(), NumpyPeer(), ScipyPeer()]
