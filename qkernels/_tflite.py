"""qk.models.load_tflite: a MobileNet .tflite file (full-integer int8) as a qkernels Network.

    net = qk.models.load_tflite("mobilenet_v2_int8.tflite")        # model="mobilenet_v2"
    x = qk.quantize(image, net.input_scale, net.input_zero_point, "int8")   # float [1, H, W, 3] -> int8
    logits = net(x)                                                 # int8 [1, classes]

The file is parsed with the generated flatbuffer classes of the `tflite` PyPI
package (optional: `pip install qkernels[tflite]`, which brings `tflite` and
`flatbuffers`; qkernels itself never needs them).  The operator graph is
walked in file order and mapped onto qkernels layers with the file's
weights, biases, per-channel scales, zero points, padding and fused
activation clamps:

  CONV_2D            -> conv2d (1x1 on a pooled 1x1 image: linear)
  DEPTHWISE_CONV_2D  -> depthwise_conv2d (depth multiplier 1)
  FULLY_CONNECTED    -> linear
  ADD                -> add (TFLite ADD arithmetic, bit for bit)
  MEAN over H, W / AVERAGE_POOL_2D over the whole image -> global_avg_pool2d
  PAD before a VALID conv (Keras' ZeroPadding2D) -> folded into the conv's padding
  RESHAPE / SQUEEZE of the pooled vector   -> nothing (layout only)
  QUANTIZE float->int8 first, DEQUANTIZE / SOFTMAX last -> stripped: the
  Network takes the int8 input and returns the int8 logits (argmax unchanged).

Convolutions and the classifier requantize in "gemmlowp" mode, TFLite's
MultiplyByQuantizedMultiplier (with multipliers from the float32 scales in
float64, as TFLite's Prepare derives them).  The layer sequence is then
checked against the architecture (stem 3x3/2, the inverted residual blocks
of qk.models.MOBILENET_V2_BLOCKS with their strides, expansion factors and
residual adds, or the 13 depthwise/pointwise pairs of MobileNetV1); channel
counts (width multiplier), input size and class count are taken from the
file.  Any mismatch raises ValueError naming the first offending operator.

Unsupported, with a ValueError saying so: float32 models and dynamic-range
quantized ones (float activations), legacy uint8 (asymmetric) quantization,
int16 activations, weights with non-zero zero points, depth multipliers
other than 1, dilation, asymmetric explicit padding other than TensorFlow's
"same", graphs with more than one subgraph or other operators, and real
multipliers input_scale * weight_scale / output_scale of 1 or more (gemmlowp
mode needs them below 1, as every real MobileNet file has).
"""
import numpy as np

__all__ = ["load_tflite", "TFLiteError"]

MODELS = ("mobilenet_v2", "mobilenet_v1")


class TFLiteError(ValueError):
    """A .tflite file that is malformed, unsupported or not the requested architecture."""


def _schema():
    try:
        import tflite  # the generated classes of TFLite's schema.fbs
    except ImportError as e:
        raise ImportError("reading .tflite files needs the 'tflite' and 'flatbuffers' packages "
                          "(pip install 'qkernels[tflite]')") from e
    return tflite


# TensorType values of schema.fbs
_FLOAT32, _FLOAT16, _INT32, _UINT8, _INT64, _INT16, _INT8 = 0, 1, 2, 3, 4, 7, 9
_TYPE_NAMES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 7: "int16", 9: "int8"}
_NUMPY = {_FLOAT32: np.float32, _INT32: np.int32, _UINT8: np.uint8, _INT64: np.int64, _INT16: np.int16,
          _INT8: np.int8}
# ActivationFunctionType / Padding
_ACT_NAMES = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}
_SAME, _VALID = 0, 1


class _Tensor:
    __slots__ = ("index", "name", "shape", "type", "buffer", "scale", "zero_point", "qdim")


class _Op:
    """One operator of the file: index, name, input / output tensor indices, options table."""
    __slots__ = ("index", "name", "inputs", "outputs", "options")

    def __repr__(self):
        return f"op {self.index} ({self.name})"


class _File:
    """The parts of a .tflite flatbuffer the loader uses, parsed and sanity-checked."""

    def __init__(self, data, path):
        tfl = _schema()
        self.tfl = tfl
        self.path = path
        if len(data) < 8 or bytes(data[4:8]) != b"TFL3":
            raise TFLiteError(f"{path}: not a .tflite file (no 'TFL3' flatbuffer identifier)")
        try:
            self._parse(tfl, data)
        except TFLiteError:
            raise
        except Exception as e:  # reads past the end of a truncated / corrupt buffer
            raise TFLiteError(f"{path}: malformed .tflite flatbuffer (truncated or corrupt file?): "
                              f"{type(e).__name__}: {e}") from None

    def _parse(self, tfl, data):
        model = tfl.Model.GetRootAs(data, 0)
        if model.Version() != 3:
            raise TFLiteError(f"{self.path}: schema version {model.Version()}, expected 3")
        if model.SubgraphsLength() != 1:
            raise TFLiteError(f"{self.path}: {model.SubgraphsLength()} subgraphs; only single-subgraph "
                              f"models are supported")
        names = {v: k for k, v in vars(tfl.BuiltinOperator).items() if not k.startswith("_")
                 and isinstance(v, int)}
        codes = []
        for i in range(model.OperatorCodesLength()):
            oc = model.OperatorCodes(i)
            # TFLite's GetBuiltinCode: the larger of the int8 legacy field and the int32 one
            builtin = oc.BuiltinCode() if hasattr(oc, "BuiltinCode") else 0
            code = max(int(builtin), int(oc.DeprecatedBuiltinCode()))
            codes.append(names.get(code, f"BUILTIN_{code}") if code != 32 else
                         "CUSTOM:" + (oc.CustomCode() or b"").decode("utf-8", "replace"))
        g = model.Subgraphs(0)
        nbuf = model.BuffersLength()
        self.tensors = []
        for i in range(g.TensorsLength()):
            t = g.Tensors(i)
            r = _Tensor()
            r.index = i
            r.name = (t.Name() or b"").decode("utf-8", "replace")
            r.shape = tuple(int(v) for v in t.ShapeAsNumpy()) if t.ShapeLength() else ()
            r.type = int(t.Type())
            b = int(t.Buffer())
            if not 0 <= b < nbuf:
                raise TFLiteError(f"tensor {i} ({r.name!r}) refers to buffer {b} of {nbuf}")
            r.buffer = b
            q = t.Quantization()
            if q is not None and q.ScaleLength():
                r.scale = q.ScaleAsNumpy().astype(np.float32)
                r.zero_point = (q.ZeroPointAsNumpy().astype(np.int64) if q.ZeroPointLength()
                                else np.zeros(len(r.scale), np.int64))
                r.qdim = int(q.QuantizedDimension())
            else:
                r.scale = r.zero_point = r.qdim = None
            self.tensors.append(r)
        self._model, self._data = model, data
        self.inputs = [int(v) for v in g.InputsAsNumpy()] if g.InputsLength() else []
        self.outputs = [int(v) for v in g.OutputsAsNumpy()] if g.OutputsLength() else []
        self.ops = []
        for i in range(g.OperatorsLength()):
            o = g.Operators(i)
            op = _Op()
            op.index = i
            ci = int(o.OpcodeIndex())
            if not 0 <= ci < len(codes):
                raise TFLiteError(f"op {i} refers to operator code {ci} of {len(codes)}")
            op.name = codes[ci]
            op.inputs = [int(v) for v in o.InputsAsNumpy()] if o.InputsLength() else []
            op.outputs = [int(v) for v in o.OutputsAsNumpy()] if o.OutputsLength() else []
            for t in op.inputs + op.outputs:
                if not -1 <= t < len(self.tensors):
                    raise TFLiteError(f"{op} refers to tensor {t} of {len(self.tensors)}")
            op.options = o.BuiltinOptions()
            self.ops.append(op)
        for t in self.inputs + self.outputs:
            if not 0 <= t < len(self.tensors):
                raise TFLiteError(f"subgraph input/output refers to tensor {t} of {len(self.tensors)}")

    def options(self, op, cls):
        tab = op.options
        if tab is None:
            raise TFLiteError(f"{op}: missing builtin options")
        o = getattr(self.tfl, cls)()
        o.Init(tab.Bytes, tab.Pos)
        return o

    def const(self, index, what):
        """The constant data of tensor `index` as a numpy array of its shape."""
        t = self.tensors[index]
        if t.type not in _NUMPY:
            raise TFLiteError(f"{what}: tensor {index} ({t.name!r}) has type {_TYPE_NAMES.get(t.type, t.type)}")
        buf = self._model.Buffers(t.buffer)
        dt = np.dtype(_NUMPY[t.type])
        count = int(np.prod(t.shape, dtype=np.int64))
        raw = buf.DataAsNumpy() if buf.DataLength() else None
        if raw is None or isinstance(raw, int):
            off = int(buf.Offset()) if hasattr(buf, "Offset") else 0
            size = int(buf.Size()) if hasattr(buf, "Size") else 0
            if off > 1 and off + size <= len(self._data):  # large models: data after the flatbuffer
                raw = np.frombuffer(self._data, np.uint8, size, off)
            else:
                raise TFLiteError(f"{what}: tensor {index} ({t.name!r}) has no constant data")
        if raw.size != count * dt.itemsize:
            raise TFLiteError(f"{what}: tensor {index} ({t.name!r}) of shape {list(t.shape)} has "
                              f"{raw.size} bytes of data, expected {count * dt.itemsize}")
        return np.frombuffer(raw.tobytes(), dt).reshape(t.shape)


# ---------------------------------------------------------------- quantization helpers

def _round_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _act_range(act, scale, zp, op):
    """TFLite's CalculateActivationRangeQuantized for int8 (f / scale in float32, std::round)."""
    if act == 0:
        return None, None
    s = np.float32(scale)

    def q(f):
        return int(np.clip(zp + _round_away(np.float64(np.float32(f) / s)), -2**31, 2**31 - 1))
    if act == 1:
        return max(-128, q(0.0)), 127
    if act == 3:
        return max(-128, q(0.0)), min(127, q(6.0))
    if act == 2:
        return max(-128, q(-1.0)), min(127, q(1.0))
    raise TFLiteError(f"{op}: fused activation {_ACT_NAMES.get(act, act)} is not supported")


class _Loader:
    def __init__(self, f, requantization):
        self.f = f
        self.mode = requantization
        self.items = []        # converted layers, in file order (dicts)
        self.alias = {}        # tensor -> tensor it is a layout-only view of
        self.pads = {}         # PAD output tensor -> (input tensor, (top, bottom, left, right), op)
        self.input_tensor = None
        self.float_input = None
        self.stripped = []

    # -- tensors
    def act(self, index, op, role="input"):
        """An int8 activation tensor: (tensor index after aliases, scale, zero point)."""
        index = self.alias.get(index, index)
        t = self.f.tensors[index]
        if t.type == _FLOAT32:
            raise TFLiteError(f"{op}: {role} tensor {index} ({t.name!r}) is float32: float models and "
                              f"dynamic-range quantized models are not supported, only full-integer int8 "
                              f"quantization")
        if t.type == _UINT8:
            raise TFLiteError(f"{op}: {role} tensor {index} ({t.name!r}) is uint8: legacy uint8 (asymmetric) "
                              f"quantization is not supported, only int8 (convert with full-integer "
                              f"quantization, inference type int8)")
        if t.type != _INT8:
            raise TFLiteError(f"{op}: {role} tensor {index} ({t.name!r}) has type "
                              f"{_TYPE_NAMES.get(t.type, t.type)}; only int8 activations are supported")
        if t.scale is None or len(t.scale) != 1:
            raise TFLiteError(f"{op}: {role} tensor {index} ({t.name!r}) needs per-tensor quantization")
        scale = float(t.scale[0])
        if not (np.isfinite(scale) and scale > 0):
            raise TFLiteError(f"{op}: {role} tensor {index} ({t.name!r}) has scale {scale}")
        return index, scale, int(t.zero_point[0])

    def weights(self, index, op, cout_axis, cout):
        t = self.f.tensors[index]
        if t.type == _FLOAT32:
            raise TFLiteError(f"{op}: weight tensor {index} ({t.name!r}) is float32: float models are not "
                              f"supported, only full-integer int8 quantization")
        if t.type == _UINT8:
            raise TFLiteError(f"{op}: weight tensor {index} ({t.name!r}) is uint8: legacy uint8 (asymmetric) "
                              f"quantization is not supported, only int8 (per-channel, symmetric)")
        if t.type != _INT8:
            raise TFLiteError(f"{op}: weight tensor {index} ({t.name!r}) has type "
                              f"{_TYPE_NAMES.get(t.type, t.type)}; only int8 weights are supported")
        w = self.f.const(index, str(op))
        if t.scale is None:
            raise TFLiteError(f"{op}: weight tensor {index} ({t.name!r}) has no quantization parameters")
        scale, zp = t.scale, t.zero_point
        if len(scale) == 1:
            scale = np.full(cout, scale[0], np.float32)
            zp = np.full(cout, zp[0], np.int64)
        elif len(scale) != cout or t.qdim != cout_axis % len(t.shape):
            raise TFLiteError(f"{op}: weight tensor {index} ({t.name!r}) has {len(scale)} scales along "
                              f"dimension {t.qdim}; expected 1 or {cout} along the output channels")
        if np.any(zp != 0):
            raise TFLiteError(f"{op}: weight tensor {index} ({t.name!r}) has non-zero zero points; only "
                              f"symmetric int8 weights are supported")
        if not np.all(np.isfinite(scale) & (scale > 0)):
            raise TFLiteError(f"{op}: weight tensor {index} ({t.name!r}) has non-positive scales")
        return w, scale.astype(np.float32)

    def bias(self, op, cout):
        if len(op.inputs) < 3 or op.inputs[2] < 0:
            return None
        index = op.inputs[2]
        t = self.f.tensors[index]
        if t.type != _INT32:
            raise TFLiteError(f"{op}: bias tensor {index} ({t.name!r}) has type "
                              f"{_TYPE_NAMES.get(t.type, t.type)}, expected int32")
        b = self.f.const(index, str(op)).reshape(-1)
        if b.shape != (cout,):
            raise TFLiteError(f"{op}: bias tensor {index} ({t.name!r}) has {b.size} entries, expected {cout}")
        return b.astype(np.int32)

    def out(self, op, relu_act=0):
        index, scale, zp = self.act(op.outputs[0], op, "output")
        lo, hi = _act_range(relu_act, scale, zp, op)
        spec = dict(output_scale=scale, output_zero_point=zp)
        if lo is not None:
            if lo > hi:
                raise TFLiteError(f"{op}: fused activation clamp [{lo}, {hi}] is empty")
            spec.update(output_min=lo, output_max=hi)
        return index, spec

    def emit(self, op, kind, inputs, spec, out, **meta):
        meta.update(kind=kind, op=op, inputs=inputs, spec=spec, out=out)
        self.items.append(meta)

    # -- operators
    def conv(self, op):
        o = self.f.options(op, "Conv2DOptions")
        if (o.DilationHFactor(), o.DilationWFactor()) != (1, 1):
            raise TFLiteError(f"{op}: dilated convolution is not supported")
        src, si, zi, pad = self.padded_input(op, o.Padding())
        w, ws = self.weights(op.inputs[1], op, 0, self.f.tensors[op.inputs[1]].shape[0])
        if w.ndim != 4:
            raise TFLiteError(f"{op}: weight of shape {list(w.shape)}, expected [Cout, KH, KW, Cin]")
        cout, kh, kw, cin = w.shape
        xs = self.f.tensors[src].shape
        if len(xs) != 4 or xs[-1] != cin:
            raise TFLiteError(f"{op}: input of shape {list(xs)} does not match weights {list(w.shape)} "
                              f"(grouped convolutions are not supported)")
        out, ospec = self.out(op, o.FusedActivationFunction())
        bias = self.bias(op, cout)
        stride = (o.StrideH(), o.StrideW())
        common = dict(bias=bias, input_scale=si, input_zero_point=zi, weight_scale=ws, requantization=self.mode)
        common.update(ospec)
        if xs[1] == xs[2] == 1 and kh == kw == 1 and pad in (0, "same") and self.pooled(src):
            # 1x1 conv on the pooled 1x1 image (Keras MobileNetV1's classifier): a linear layer
            self.emit(op, "linear", (src,), dict(weight=w.reshape(cout, cin), **common), out, k=1, stride=1,
                      act=o.FusedActivationFunction(), macs=cout * cin)
            return
        spec = dict(weight=w, stride=stride[0] if stride[0] == stride[1] else stride, padding=pad, **common)
        oh, ow = self.f.tensors[out].shape[1:3]
        self.emit(op, "conv2d", (src,), spec, out, k=(kh, kw), stride=stride, act=o.FusedActivationFunction(),
                  macs=oh * ow * cout * kh * kw * cin)

    def dwconv(self, op):
        o = self.f.options(op, "DepthwiseConv2DOptions")
        if (o.DilationHFactor(), o.DilationWFactor()) != (1, 1):
            raise TFLiteError(f"{op}: dilated depthwise convolution is not supported")
        src, si, zi, pad = self.padded_input(op, o.Padding())
        wt = self.f.tensors[op.inputs[1]]
        if len(wt.shape) != 4 or wt.shape[0] != 1:
            raise TFLiteError(f"{op}: depthwise weight of shape {list(wt.shape)}, expected [1, KH, KW, C]")
        c = wt.shape[3]
        xs = self.f.tensors[src].shape
        if len(xs) != 4 or xs[-1] != c or o.DepthMultiplier() not in (0, 1):
            raise TFLiteError(f"{op}: depth multiplier {o.DepthMultiplier()} (input {list(xs)}, weight "
                              f"{list(wt.shape)}); only 1 is supported")
        w, ws = self.weights(op.inputs[1], op, 3, c)
        w = w.reshape(w.shape[1:])
        out, ospec = self.out(op, o.FusedActivationFunction())
        stride = (o.StrideH(), o.StrideW())
        spec = dict(weight=w, bias=self.bias(op, c), stride=stride[0] if stride[0] == stride[1] else stride,
                    padding=pad, input_scale=si, input_zero_point=zi, weight_scale=ws, requantization=self.mode)
        spec.update(ospec)
        oh, ow = self.f.tensors[out].shape[1:3]
        self.emit(op, "depthwise_conv2d", (src,), spec, out, k=w.shape[:2], stride=stride,
                  act=o.FusedActivationFunction(), macs=oh * ow * c * w.shape[0] * w.shape[1])

    def padded_input(self, op, padding):
        """(input tensor, scale, zero point, padding spec) with a preceding PAD folded in."""
        src = self.alias.get(op.inputs[0], op.inputs[0])
        if src in self.pads:
            if padding != _VALID:
                raise TFLiteError(f"{op}: reads the PAD output and pads again (SAME); not supported")
            src, (pt, pb, pl, pr), pad_op = self.pads.pop(src)
            _, si, zi = self.act(src, op)
            h, w = self.f.tensors[src].shape[1:3]
            if pt == pb and pl == pr:
                return src, si, zi, (pt, pl)
            wt = self.f.tensors[op.inputs[1]].shape
            kh, kw = wt[1:3]
            o = self.f.options(op, "Conv2DOptions" if op.name == "CONV_2D" else "DepthwiseConv2DOptions")
            from . import _conv
            same = _conv.resolve("same", h, w, kh, kw, (o.StrideH(), o.StrideW()), (1, 1))
            if same == (pt, pb, pl, pr):
                return src, si, zi, "same"
            raise TFLiteError(f"{pad_op}: padding (top, bottom, left, right) = {(pt, pb, pl, pr)} before "
                              f"{op} is neither symmetric nor TensorFlow's 'same'; not supported")
        src, si, zi = self.act(src, op)
        if padding not in (_SAME, _VALID):
            raise TFLiteError(f"{op}: unknown padding {padding}")
        return src, si, zi, "same" if padding == _SAME else 0

    def pad(self, op):
        src, si, zi = self.act(op.inputs[0], op)
        out, so, zo = self.act(op.outputs[0], op, "output")
        if (si, zi) != (so, zo):
            raise TFLiteError(f"{op}: PAD changes the quantization; not supported")
        p = self.f.const(op.inputs[1], str(op)).astype(np.int64)
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            v = self.f.const(op.inputs[2], str(op)).reshape(-1)
            if v.size != 1 or int(v[0]) != zi:
                raise TFLiteError(f"{op}: PADV2 with a constant other than the zero point; not supported")
        if p.shape != (4, 2) or p[0].any() or p[3].any() or (p < 0).any():
            raise TFLiteError(f"{op}: paddings {p.tolist()}; only spatial zero padding is supported")
        self.pads[out] = (src, (int(p[1, 0]), int(p[1, 1]), int(p[2, 0]), int(p[2, 1])), op)

    def add(self, op):
        o = self.f.options(op, "AddOptions")
        a, sa, za = self.act(op.inputs[0], op)
        b, sb, zb = self.act(op.inputs[1], op)
        if self.f.tensors[a].shape != self.f.tensors[b].shape:
            raise TFLiteError(f"{op}: broadcasting add of {list(self.f.tensors[a].shape)} and "
                              f"{list(self.f.tensors[b].shape)} is not supported")
        out, ospec = self.out(op, o.FusedActivationFunction())
        spec = dict(input1_scale=sa, input1_zero_point=za, input2_scale=sb, input2_zero_point=zb, dtype="int8")
        spec.update(ospec)
        self.emit(op, "add", (a, b), spec, out, act=o.FusedActivationFunction())

    def pool(self, op):
        src, si, zi = self.act(op.inputs[0], op)
        xs = self.f.tensors[src].shape
        if len(xs) != 4:
            raise TFLiteError(f"{op}: input of shape {list(xs)}, expected NHWC")
        act = 0
        if op.name == "MEAN":
            axes = sorted(int(v) % 4 for v in self.f.const(op.inputs[1], str(op)).reshape(-1))
            if axes != [1, 2]:
                raise TFLiteError(f"{op}: MEAN over axes {axes}; only the spatial mean (axes 1, 2) is supported")
        else:
            o = self.f.options(op, "Pool2DOptions")
            if (o.FilterHeight(), o.FilterWidth()) != tuple(xs[1:3]) or \
                    tuple(self.f.tensors[op.outputs[0]].shape[1:3]) != (1, 1):
                raise TFLiteError(f"{op}: {o.FilterHeight()}x{o.FilterWidth()} average pooling of a "
                                  f"{xs[1]}x{xs[2]} image; only global pooling is supported")
            act = o.FusedActivationFunction()
        out, ospec = self.out(op, act)
        # AVERAGE_POOL_2D: TFLite rounds sum / count to nearest; the fp32 mode does too
        # (exactly for an odd count; see load_tflite).  MEAN: see load_tflite.
        mode = "fp32" if op.name == "AVERAGE_POOL_2D" else self.pool_mode
        if mode == "gemmlowp" and si / (ospec["output_scale"] * xs[1] * xs[2]) >= 1:
            mode = "fp32"  # gemmlowp mode needs a multiplier below 1 (e.g. a 1x1 image, equal scales)
        spec = dict(input_scale=si, input_zero_point=zi, dtype="int8", requantization=mode)
        spec.update(ospec)
        self.emit(op, "global_avg_pool2d", (src,), spec, out)

    def fc(self, op):
        o = self.f.options(op, "FullyConnectedOptions")
        if o.WeightsFormat() != 0:
            raise TFLiteError(f"{op}: shuffled weights format is not supported")
        src, si, zi = self.act(op.inputs[0], op)
        wt = self.f.tensors[op.inputs[1]]
        if len(wt.shape) != 2:
            raise TFLiteError(f"{op}: weight of shape {list(wt.shape)}, expected [N, K]")
        n, k = wt.shape
        xs = self.f.tensors[src].shape
        if int(np.prod(xs[1:], dtype=np.int64)) != k:
            raise TFLiteError(f"{op}: input of shape {list(xs)} does not match weight {list(wt.shape)}")
        w, ws = self.weights(op.inputs[1], op, 0, n)
        out, ospec = self.out(op, o.FusedActivationFunction())
        spec = dict(weight=w, bias=self.bias(op, n), input_scale=si, input_zero_point=zi, weight_scale=ws,
                    requantization=self.mode)
        spec.update(ospec)
        self.emit(op, "linear", (src,), spec, out, k=1, stride=1, act=o.FusedActivationFunction(), macs=n * k)

    def reshape(self, op):
        src, si, zi = self.act(op.inputs[0], op)
        out, so, zo = self.act(op.outputs[0], op, "output")
        a = [d for d in self.f.tensors[src].shape if d != 1]
        b = [d for d in self.f.tensors[out].shape if d != 1]
        if a != b or (si, zi) != (so, zo) or not self.pooled(src):
            raise TFLiteError(f"{op}: {op.name} of {list(self.f.tensors[src].shape)} to "
                              f"{list(self.f.tensors[out].shape)}; only dropping unit dimensions of the "
                              f"pooled vector / logits is supported")
        self.alias[out] = src

    def pooled(self, tensor):
        """Is `tensor` the output of the global pool or of a layer after it (a vector per image)?"""
        seen = False
        for it in self.items:
            seen = seen or it["kind"] == "global_avg_pool2d"
            if it["out"] == tensor:
                return seen
        return False

    def run(self):
        f = self.f
        if len(f.inputs) != 1 or len(f.outputs) != 1:
            raise TFLiteError(f"{f.path}: {len(f.inputs)} inputs and {len(f.outputs)} outputs; expected one each")
        self.input_tensor = f.inputs[0]
        graph_out = f.outputs[0]
        ops = list(f.ops)
        # float interface: QUANTIZE first, DEQUANTIZE last
        if ops and ops[0].name == "QUANTIZE" and f.tensors[ops[0].inputs[0]].type == _FLOAT32:
            q = ops.pop(0)
            _, s, z = self.act(q.outputs[0], q, "output")
            self.float_input = (s, z)
            self.input_tensor = q.outputs[0]
            self.stripped.append(q.name)
        handlers = {"CONV_2D": self.conv, "DEPTHWISE_CONV_2D": self.dwconv, "ADD": self.add,
                    "MEAN": self.pool, "AVERAGE_POOL_2D": self.pool, "FULLY_CONNECTED": self.fc,
                    "RESHAPE": self.reshape, "SQUEEZE": self.reshape, "PAD": self.pad, "PADV2": self.pad}
        self.act(self.input_tensor, "the graph", "input")
        for i, op in enumerate(ops):
            rest = ops[i:]
            if op.name in ("SOFTMAX", "DEQUANTIZE") and all(o.name in ("SOFTMAX", "DEQUANTIZE") for o in rest):
                self.stripped += [o.name for o in rest]
                break
            if op.name not in handlers:
                raise TFLiteError(f"{op}: operator {op.name} is not supported (a MobileNet graph has "
                                  f"{', '.join(sorted(handlers))}, a leading QUANTIZE and trailing "
                                  f"SOFTMAX/DEQUANTIZE)")
            if len(op.outputs) != 1 or not op.inputs:
                raise TFLiteError(f"{op}: {len(op.inputs)} inputs, {len(op.outputs)} outputs")
            handlers[op.name](op)
        if self.pads:
            src, _, pad_op = next(iter(self.pads.values()))
            raise TFLiteError(f"{pad_op}: PAD output is not read by a VALID convolution")
        if not self.items:
            raise TFLiteError(f"{f.path}: no operators")
        last = self.items[-1]["out"]
        if self.alias.get(graph_out, graph_out) != last and not self.stripped:
            raise TFLiteError(f"{f.path}: the graph output (tensor {graph_out}) is not the last layer's output")


# ---------------------------------------------------------------- architecture match

def _describe(it, f):
    k = it.get("k")
    s = it.get("stride")
    t = f.tensors[it["out"]]
    extra = f", kernel {k[0]}x{k[1]}" if isinstance(k, tuple) else ""
    extra += f", stride {s[0]}" if isinstance(s, tuple) else ""
    op = it["op"]
    return f"op {op.index} ({op.name}, output tensor {it['out']} {t.name!r}{extra})"


class _Matcher:
    def __init__(self, items, f, model, input_tensor):
        self.items, self.f, self.model = items, f, model
        self.pos = 0
        self.layers = []       # (name, item)
        self.names = {input_tensor: "input"}

    def fail(self, expected, got=None):
        if got is None:
            got = (_describe(self.items[self.pos], self.f) if self.pos < len(self.items)
                   else "the end of the graph")
        raise TFLiteError(f"{self.f.path} is not {self.model}: expected {expected}, got {got}")

    def take(self, expected, kind, src, k=None, stride=None, other=None):
        if self.pos >= len(self.items):
            self.fail(expected)
        it = self.items[self.pos]
        if it["kind"] != kind:
            self.fail(expected)
        if k is not None and tuple(it["k"]) != (k, k):
            self.fail(expected)
        if stride is not None and tuple(it["stride"]) != (stride, stride):
            self.fail(expected)
        want = (src,) if other is None else (src, other)
        if it["kind"] == "add":
            ok = sorted(it["inputs"]) == sorted(want)
        else:
            ok = it["inputs"] == want
        if not ok:
            got = ", ".join(f"tensor {i} {self.f.tensors[i].name!r}" for i in it["inputs"])
            self.fail(expected + f" reading {', '.join(self.names.get(t, str(t)) for t in want)}",
                      _describe(it, self.f) + f" reading {got}")
        self.pos += 1
        return it

    def name(self, name, it):
        self.layers.append((name, it))
        self.names[it["out"]] = name
        return it["out"]

    def channels(self, tensor):
        return self.f.tensors[tensor].shape[-1]


def _match_v2(m, src, blocks):
    from .models import MOBILENET_V2_BLOCKS
    plan = [(t, s if r == 0 else 1) for t, c, n, s in MOBILENET_V2_BLOCKS for r in range(n)]
    nblocks = len(plan) if blocks is None else blocks
    h = m.name("stem", m.take("the stem: CONV_2D 3x3 stride 2", "conv2d", src, 3, 2))
    for i, (t, s) in enumerate(plan[:nblocks]):
        blk = h
        cin = m.channels(h)
        if t != 1:
            it = m.take(f"block {i}'s expansion: CONV_2D 1x1 stride 1", "conv2d", h, 1, 1)
            if m.channels(it["out"]) != cin * t:
                m.fail(f"block {i}'s expansion to {t} x {cin} = {cin * t} channels",
                       _describe(it, m.f) + f" with {m.channels(it['out'])} channels")
            h = m.name(f"b{i}.expand", it)
        h = m.name(f"b{i}.dw", m.take(f"block {i}'s DEPTHWISE_CONV_2D 3x3 stride {s}", "depthwise_conv2d", h, 3, s))
        h = m.name(f"b{i}.project", m.take(f"block {i}'s projection: CONV_2D 1x1 stride 1", "conv2d", h, 1, 1))
        if s == 1 and m.channels(h) == cin:
            h = m.name(f"b{i}.add", m.take(f"block {i}'s residual ADD", "add", h, other=blk))
    h = m.name("head", m.take("the head: CONV_2D 1x1 stride 1", "conv2d", h, 1, 1))
    return h


def _match_v1(m, src, blocks):
    from .models import MOBILENET_V1_LAYERS
    n = len(MOBILENET_V1_LAYERS) if blocks is None else blocks
    h = m.name("stem", m.take("the stem: CONV_2D 3x3 stride 2", "conv2d", src, 3, 2))
    for i, (_, s) in enumerate(MOBILENET_V1_LAYERS[:n]):
        h = m.name(f"b{i}.dw", m.take(f"pair {i}'s DEPTHWISE_CONV_2D 3x3 stride {s}", "depthwise_conv2d", h, 3, s))
        h = m.name(f"b{i}.pw", m.take(f"pair {i}'s pointwise CONV_2D 1x1 stride 1", "conv2d", h, 1, 1))
    return h


def load_tflite(path, model="mobilenet_v2", *, blocks=None, requantization="gemmlowp", mean_requantization=None):
    """A full-integer int8 MobileNet .tflite file as a qkernels Network (qk.models.Network).

    path: a .tflite file (str / path-like) or its bytes.  model: "mobilenet_v2" or
    "mobilenet_v1", the architecture the graph must have (any width multiplier, input
    size and class count).  blocks: the number of inverted residual blocks (v2, of 17)
    or depthwise/pointwise pairs (v1, of 13) the file has; None = all of them.
    requantization: of the convolutions and the classifier, "gemmlowp" (default:
    TFLite's fixed point, bit-exact with its built-in kernels) or "fp32" (the float
    multiplier of XNNPACK, which the TFLite interpreter's default delegate uses).
    mean_requantization: of a MEAN layer, default "gemmlowp" (TFLite's MEAN folds
    1/(H*W) into its multiplier differently: at most 1 off, see docs); AVERAGE_POOL_2D always uses "fp32", which rounds
    the average to nearest like TFLite (exactly when H*W is odd; when it is even a tie
    can round the other way: at most 1 off).

    Layer names are those of qk.models.mobilenet_v2 / mobilenet_v1.  The Network gets
    an extra attribute `tflite`: dict(path, input_tensor, output_tensor, tensors={layer
    name: output tensor index}, float_input=(scale, zero point) or None when the file
    has a QUANTIZE from float input, stripped=[operators left out: QUANTIZE, SOFTMAX,
    DEQUANTIZE]).  The network's input is the int8 tensor (quantize float input with
    net.input_scale / net.input_zero_point) and its output the int8 logits.
    Raises ValueError (TFLiteError) for malformed, unsupported or mismatching files,
    ImportError without the `tflite` package.
    """
    from . import _quant
    from .models import Layer, Network

    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    mode = _quant.mode(requantization)
    pool_mode = _quant.mode("gemmlowp" if mean_requantization is None else mean_requantization)
    limit = 17 if model == "mobilenet_v2" else 13
    if blocks is not None:
        import numbers
        if isinstance(blocks, bool) or not isinstance(blocks, numbers.Integral):
            raise TypeError(f"blocks must be an int or None, got {type(blocks).__name__}")
        if not 1 <= blocks <= limit:
            raise ValueError(f"blocks must lie in [1, {limit}] for {model}, got {blocks}")
    if isinstance(path, (bytes, bytearray, memoryview)):
        data, label = bytes(path), "<bytes>"
    else:
        import os
        label = os.fspath(path)
        with open(label, "rb") as fh:
            data = fh.read()
    f = _File(data, label)
    ld = _Loader(f, mode)
    ld.pool_mode = pool_mode
    ld.run()
    m = _Matcher(ld.items, f, model, ld.input_tensor)
    h = (_match_v2 if model == "mobilenet_v2" else _match_v1)(m, ld.input_tensor, blocks)
    h = m.name("pool", m.take("the global average pool (MEAN or AVERAGE_POOL_2D)", "global_avg_pool2d", h))
    h = m.name("fc", m.take("the classifier (FULLY_CONNECTED or 1x1 CONV_2D)", "linear", h))
    if m.pos != len(ld.items):
        m.fail("the end of the graph after the classifier")
    layers = []
    for name, it in m.layers:
        try:
            layers.append(Layer(name, it["kind"], [m.names[t] for t in it["inputs"]], it["spec"], it.get("macs", 0)))
        except ValueError as e:
            raise TFLiteError(f"{it['op']} (layer {name}): {e}") from None
    it_in = f.tensors[ld.input_tensor]
    _, si, zi = ld.act(ld.input_tensor, "the graph", "input")
    if len(it_in.shape) != 4 or it_in.shape[0] != 1:
        raise TFLiteError(f"{label}: input tensor of shape {list(it_in.shape)}, expected [1, H, W, C]")
    last = m.layers[-1][1]
    net = Network(model, layers, np.int8, it_in.shape[1:], si, zi, last["spec"]["output_scale"],
                  last["spec"]["output_zero_point"])
    net.tflite = dict(path=label, input_tensor=ld.input_tensor, output_tensor=last["out"],
                      tensors={name: it["out"] for name, it in m.layers}, float_input=ld.float_input,
                      stripped=ld.stripped)
    return net
