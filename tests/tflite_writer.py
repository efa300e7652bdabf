"""Test-side .tflite writer: a qkernels int8 Network (qk.models) as a TFLite flatbuffer.

write_tflite(net, ...) -> bytes.  The flatbuffer is built with flatbuffers.Builder and
the builder functions of the `tflite` package's generated classes (the loader's
schema), so the suite needs no converter and no download.  Options reproduce the
shapes real converters emit:

  stride2="same"   stride-2 depthwise convs with SAME padding, or "pad": Keras'
                   ZeroPadding2D + VALID conv (a PAD op, as in Keras MobileNetV2 files)
  pool="mean"      MEAN over axes (1, 2) (keep_dims from mean_keepdims), or "avgpool":
                   AVERAGE_POOL_2D over the whole image (output quantized like its input)
  head="fc"        FULLY_CONNECTED classifier, or "conv": 1x1 CONV_2D + RESHAPE (Keras V1)
  softmax=True     a final SOFTMAX (int8, scale 1/256, zero point -128)
  float_io=False   float32 input/output through QUANTIZE / DEQUANTIZE
  relu6=True       ReLU6 layers carry the fused RELU6 activation (else NONE)

Layers map one to one: conv2d -> CONV_2D, depthwise_conv2d -> DEPTHWISE_CONV_2D,
add -> ADD, global_avg_pool2d -> MEAN / AVERAGE_POOL_2D, linear -> FULLY_CONNECTED.
The file's tensors are named after the layers.
"""
import importlib

import flatbuffers
import numpy as np

import qkernels as qk

INT8, INT32, FLOAT32 = 9, 2, 0


def _mod(name):
    return importlib.import_module("tflite." + name)  # the module, not the class tflite/__init__ re-exports


def _ops():
    import tflite
    return tflite.BuiltinOperator, tflite.BuiltinOptions


class _Writer:
    def __init__(self):
        self.b = flatbuffers.Builder(1 << 16)
        self.tensors = []   # dicts
        self.buffers = [None]
        self.ops = []       # (opcode name, inputs, outputs, options type, options builder fn)
        self.codes = []

    def tensor(self, name, shape, ttype, scale=None, zp=None, qdim=0, data=None):
        buf = 0
        if data is not None:
            self.buffers.append(np.ascontiguousarray(data).tobytes())
            buf = len(self.buffers) - 1
        self.tensors.append(dict(name=name, shape=list(shape), type=ttype, scale=scale, zp=zp, qdim=qdim,
                                 buffer=buf))
        return len(self.tensors) - 1

    def act(self, name, shape, scale, zp):
        return self.tensor(name, shape, INT8, [scale], [zp])

    def op(self, code, inputs, outputs, opt_type=None, opt=None):
        if code not in self.codes:
            self.codes.append(code)
        self.ops.append((self.codes.index(code), list(inputs), list(outputs), opt_type, opt))

    # ---- serialization
    def _ivec(self, values, dtype=np.int32):
        return self.b.CreateNumpyVector(np.asarray(values, dtype=dtype))

    def _tables(self, start_vector, offsets):
        start_vector(self.b, len(offsets))
        for o in reversed(offsets):
            self.b.PrependUOffsetTRelative(o)
        return self.b.EndVector(len(offsets)) if _END_VECTOR_TAKES_LEN else self.b.EndVector()

    def _table(self, name, **fields):
        m = _mod(name)
        getattr(m, name + "Start")(self.b)
        for k, v in fields.items():
            if v is not None:
                getattr(m, name + "Add" + k)(self.b, v)
        return getattr(m, name + "End")(self.b)

    def finish(self, inputs, outputs, description="qkernels test model"):
        b = self.b
        BuiltinOperator, _ = _ops()
        buffers = []
        for data in self.buffers:
            vec = None if data is None else b.CreateNumpyVector(np.frombuffer(data, np.uint8))
            buffers.append(self._table("Buffer", Data=vec))
        tensors = []
        for t in self.tensors:
            name = b.CreateString(t["name"])
            shape = self._ivec(t["shape"])
            q = None
            if t["scale"] is not None:
                sc = b.CreateNumpyVector(np.asarray(t["scale"], np.float32))
                zp = b.CreateNumpyVector(np.asarray(t["zp"], np.int64))
                q = self._table("QuantizationParameters", Scale=sc, ZeroPoint=zp, QuantizedDimension=t["qdim"])
            tensors.append(self._table("Tensor", Shape=shape, Type=t["type"], Buffer=t["buffer"], Name=name,
                                       Quantization=q))
        ops = []
        for code, ins, outs, opt_type, opt in self.ops:
            opt_off = opt(self) if opt is not None else None
            iv, ov = self._ivec(ins), self._ivec(outs)
            ops.append(self._table("Operator", OpcodeIndex=code, Inputs=iv, Outputs=ov,
                                   BuiltinOptionsType=opt_type if opt is not None else None,
                                   BuiltinOptions=opt_off))
        sg = self._table("SubGraph",
                         Tensors=self._tables(_mod("SubGraph").SubGraphStartTensorsVector, tensors),
                         Inputs=self._ivec(inputs), Outputs=self._ivec(outputs),
                         Operators=self._tables(_mod("SubGraph").SubGraphStartOperatorsVector, ops),
                         Name=b.CreateString("main"))
        codes = []
        for name in self.codes:
            c = getattr(BuiltinOperator, name)
            codes.append(self._table("OperatorCode", DeprecatedBuiltinCode=min(c, 127), BuiltinCode=c, Version=1))
        M = _mod("Model")
        model = self._table("Model", Version=3,
                            OperatorCodes=self._tables(M.ModelStartOperatorCodesVector, codes),
                            Subgraphs=self._tables(M.ModelStartSubgraphsVector, [sg]),
                            Description=b.CreateString(description),
                            Buffers=self._tables(M.ModelStartBuffersVector, buffers))
        b.Finish(model, file_identifier=b"TFL3")
        return bytes(b.Output())


def _end_vector_takes_len():
    import inspect
    p = inspect.signature(flatbuffers.Builder.EndVector).parameters
    return "vectorNumElems" in p or ("numElems" in p and p["numElems"].default is inspect.Parameter.empty)


_END_VECTOR_TAKES_LEN = _end_vector_takes_len()


def _opts(name, **fields):
    return lambda w: w._table(name, **fields)


def write_tflite(net, *, stride2="same", pool="mean", mean_keepdims=False, head="fc", softmax=True,
                 float_io=False, relu6=True):
    """The int8 qkernels Network `net` (qk.models.mobilenet_v2 / v1) as .tflite bytes."""
    _, BO = _ops()
    acts = qk.reference.run_model(net, net.random_input(), return_all=True)  # for the shapes
    w = _Writer()
    t = {}
    pooled_q = None
    x_q = w.act("input_int8" if float_io else "input", acts["input"].shape, net.input_scale, net.input_zero_point)
    t["input"] = x_q
    graph_in = x_q
    if float_io:
        graph_in = w.tensor("input", acts["input"].shape, FLOAT32)
        w.op("QUANTIZE", [graph_in], [x_q], BO.QuantizeOptions, _opts("QuantizeOptions"))
    for layer in net.layers:
        s = layer.spec
        y = acts[layer.name]
        act = 3 if (relu6 and "output_min" in s) else 0
        if layer.kind in ("conv2d", "depthwise_conv2d"):
            src = t[layer.inputs[0]]
            wq = np.asarray(s["weight"])
            c = wq.shape[0] if layer.kind == "conv2d" else wq.shape[-1]
            ws = np.broadcast_to(np.asarray(s["weight_scale"], np.float32), (c,))
            bias_scale = (np.float32(s["input_scale"]) * ws).astype(np.float32)
            stride = s.get("stride", 1)
            padding = 1 if s.get("padding", 0) in (0, "valid") else 0  # Padding.VALID / SAME
            if layer.kind == "depthwise_conv2d" and stride == 2 and stride2 == "pad" and s["padding"] == "same":
                h, wd = acts[layer.inputs[0]].shape[1:3]
                pt, pb, pl, pr = qk._conv.resolve("same", h, wd, 3, 3, (2, 2), (1, 1))
                pads = w.tensor(layer.name + "/paddings", [4, 2], INT32,
                                data=np.array([[0, 0], [pt, pb], [pl, pr], [0, 0]], np.int32))
                xin = acts[layer.inputs[0]]
                padded = w.act(layer.name + "/pad", (1, h + pt + pb, wd + pl + pr, xin.shape[-1]),
                               s["input_scale"], s["input_zero_point"])
                w.op("PAD", [src, pads], [padded], BO.PadOptions, _opts("PadOptions"))
                src, padding = padded, 1
            if layer.kind == "conv2d":
                wt = w.tensor(layer.name + "/weights", wq.shape, INT8, ws, np.zeros(c, np.int64), 0, wq)
            else:
                wt = w.tensor(layer.name + "/weights", (1,) + wq.shape, INT8, ws, np.zeros(c, np.int64), 3, wq)
            bt = w.tensor(layer.name + "/bias", [c], INT32, bias_scale, np.zeros(c, np.int64), 0,
                          np.asarray(s["bias"], np.int32))
            out = w.act(layer.name, y.shape, s["output_scale"], s["output_zero_point"])
            if layer.kind == "conv2d":
                w.op("CONV_2D", [src, wt, bt], [out], BO.Conv2DOptions,
                     _opts("Conv2DOptions", Padding=padding, StrideW=stride, StrideH=stride,
                           FusedActivationFunction=act, DilationWFactor=1, DilationHFactor=1))
            else:
                w.op("DEPTHWISE_CONV_2D", [src, wt, bt], [out], BO.DepthwiseConv2DOptions,
                     _opts("DepthwiseConv2DOptions", Padding=padding, StrideW=stride, StrideH=stride,
                           DepthMultiplier=1, FusedActivationFunction=act, DilationWFactor=1, DilationHFactor=1))
            t[layer.name] = out
        elif layer.kind == "add":
            out = w.act(layer.name, y.shape, s["output_scale"], s["output_zero_point"])
            w.op("ADD", [t[layer.inputs[0]], t[layer.inputs[1]]], [out], BO.AddOptions,
                 _opts("AddOptions", FusedActivationFunction=0))
            t[layer.name] = out
        elif layer.kind == "global_avg_pool2d":
            xin = acts[layer.inputs[0]]
            _, h, wd, c = xin.shape
            if pool == "mean":
                axes = w.tensor(layer.name + "/axes", [2], INT32, data=np.array([1, 2], np.int32))
                shape = (1, 1, 1, c) if mean_keepdims else (1, c)
                out = w.act(layer.name, shape, s["output_scale"], s["output_zero_point"])
                w.op("MEAN", [t[layer.inputs[0]], axes], [out], BO.ReducerOptions,
                     _opts("ReducerOptions", KeepDims=bool(mean_keepdims)))
            else:
                out = w.act(layer.name, (1, 1, 1, c), s["input_scale"], s["input_zero_point"])
                w.op("AVERAGE_POOL_2D", [t[layer.inputs[0]]], [out], BO.Pool2DOptions,
                     _opts("Pool2DOptions", Padding=1, StrideW=1, StrideH=1, FilterWidth=wd, FilterHeight=h,
                           FusedActivationFunction=0))
            t[layer.name] = out
            pooled_q = (s["input_scale"], s["input_zero_point"]) if pool != "mean" else None
        elif layer.kind == "linear":
            src = t[layer.inputs[0]]
            in_scale = s["input_scale"] if pooled_q is None else pooled_q[0]
            in_zp = s["input_zero_point"] if pooled_q is None else pooled_q[1]
            wq = np.asarray(s["weight"])
            n, k = wq.shape
            ws = np.broadcast_to(np.asarray(s["weight_scale"], np.float32), (n,))
            bias_scale = (np.float32(in_scale) * ws).astype(np.float32)
            bt = w.tensor(layer.name + "/bias", [n], INT32, bias_scale, np.zeros(n, np.int64), 0,
                          np.asarray(s["bias"], np.int32))
            if head == "conv":
                wt = w.tensor(layer.name + "/weights", (n, 1, 1, k), INT8, ws, np.zeros(n, np.int64), 0,
                              wq.reshape(n, 1, 1, k))
                if pool == "mean" and not mean_keepdims:
                    raise ValueError("head='conv' needs a 4-D pooled tensor (mean_keepdims=True or avgpool)")
                y4 = w.act(layer.name + "/conv", (1, 1, 1, n), s["output_scale"], s["output_zero_point"])
                w.op("CONV_2D", [src, wt, bt], [y4], BO.Conv2DOptions,
                     _opts("Conv2DOptions", Padding=1, StrideW=1, StrideH=1, FusedActivationFunction=0,
                           DilationWFactor=1, DilationHFactor=1))
                shape_t = w.tensor(layer.name + "/shape", [2], INT32, data=np.array([1, n], np.int32))
                out = w.act(layer.name, (1, n), s["output_scale"], s["output_zero_point"])
                w.op("RESHAPE", [y4, shape_t], [out], BO.ReshapeOptions,
                     lambda wr, n=n: wr._table("ReshapeOptions", NewShape=wr._ivec([1, n])))
            else:
                wt = w.tensor(layer.name + "/weights", (n, k), INT8, ws, np.zeros(n, np.int64), 0, wq)
                out = w.act(layer.name, (1, n), s["output_scale"], s["output_zero_point"])
                w.op("FULLY_CONNECTED", [src, wt, bt], [out], BO.FullyConnectedOptions,
                     _opts("FullyConnectedOptions", FusedActivationFunction=0, KeepNumDims=False))
            t[layer.name] = out
        else:
            raise ValueError(f"layer kind {layer.kind} cannot be written")
    last = t[net.layers[-1].name]
    n = acts[net.layers[-1].name].shape[-1]
    if softmax:
        sm = w.act("softmax", (1, n), 1.0 / 256, -128)
        w.op("SOFTMAX", [last], [sm], BO.SoftmaxOptions, _opts("SoftmaxOptions", Beta=1.0))
        last = sm
    if float_io:
        fo = w.tensor("output", (1, n), FLOAT32)
        w.op("DEQUANTIZE", [last], [fo], BO.DequantizeOptions, _opts("DequantizeOptions"))
        last = fo
    return w.finish([graph_in], [last])
