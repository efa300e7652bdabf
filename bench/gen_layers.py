#!/usr/bin/env python3
"""Write the benchmark layer tables qkernels/bench_data/<model>.json.

The shapes come straight from the architecture definitions (224x224 input,
batch 1, width multiplier 1.0), so the tables can be checked and regenerated:

    python bench/gen_layers.py            # rewrites qkernels/bench_data/*.json

Layer records (one per layer of the network, in order; the benchmark dedupes
identical shapes and shows a count):

  conv    full KxK convolution, NHWC:  H, W, Cin, Cout, KH, KW, stride, padding
  dwconv  depthwise KxK, NHWC:         H, W, C, KH, KW, stride, padding
  gemm    1x1 conv / fully connected:  M (= H*W), K (= Cin), N (= Cout)
  sparse  1x1 conv in CHW, fp32:       Cout, Cin, HW, sparsity (list)

`quick: true` marks the few layers `qkernels bench --quick` runs: the shapes
of the performance anchors (shared ANCHORS.md), one or two per family.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "qkernels", "bench_data")
SPARSITY = [0.7, 0.8, 0.9]


class Net:
    def __init__(self, name, description):
        self.name = name
        self.description = description
        self.layers = []

    def add(self, **rec):
        self.layers.append(rec)

    def conv(self, name, h, w, cin, cout, k, stride):
        pad = k // 2
        self.add(name=name, op="conv", H=h, W=w, Cin=cin, Cout=cout, KH=k, KW=k, stride=stride, padding=pad)
        return (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1

    def dw(self, name, h, w, c, stride, k=3):
        pad = k // 2
        self.add(name=name, op="dwconv", H=h, W=w, C=c, KH=k, KW=k, stride=stride, padding=pad)
        return (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1

    def pw(self, name, h, w, cin, cout, sparse=True):
        self.add(name=name, op="gemm", M=h * w, K=cin, N=cout)
        if sparse:
            self.add(name=name, op="sparse", Cout=cout, Cin=cin, HW=h * w, sparsity=list(SPARSITY))

    def fc(self, name, k, n):
        self.add(name=name, op="gemm", M=1, K=k, N=n)

    def mark_quick(self, op, pred):
        for rec in self.layers:
            if rec["op"] == op and pred(rec):
                rec["quick"] = True

    def dump(self):
        path = os.path.join(OUT, self.name + ".json")
        doc = {"model": self.name, "description": self.description, "input": [224, 224, 3], "batch": 1,
               "generator": "bench/gen_layers.py", "layers": self.layers}
        with open(path, "w") as f:
            f.write("{\n")
            for key in ("model", "description", "input", "batch", "generator"):
                f.write(f"  {json.dumps(key)}: {json.dumps(doc[key])},\n")
            f.write('  "layers": [\n')
            f.write(",\n".join("    " + json.dumps(rec) for rec in self.layers))
            f.write("\n  ]\n}\n")
        return path


def mobilenet_v2():
    """MobileNetV2 1.0-224 (Sandler et al. 2018, Table 2)."""
    net = Net("mobilenet_v2", "MobileNetV2 1.0, 224x224, batch 1: stem, inverted residual blocks "
                              "(expand 1x1, depthwise 3x3, project 1x1), last 1x1 to 1280, classifier 1000")
    h = w = 224
    h, w = net.conv("stem", h, w, 3, 32, 3, 2)
    cin = 32
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1)]
    block = 0
    for t, c, n, s in settings:
        for i in range(n):
            block += 1
            stride = s if i == 0 else 1
            hidden = cin * t
            if t != 1:
                net.pw(f"b{block}.expand", h, w, cin, hidden)
            h, w = net.dw(f"b{block}.dw", h, w, hidden, stride)
            net.pw(f"b{block}.project", h, w, hidden, c)
            cin = c
    net.pw("last", h, w, cin, 1280)
    net.fc("classifier", 1280, 1000)
    # The anchor shapes (ANCHORS.md).
    gemm_quick = {(3136, 24, 144), (196, 576, 96), (49, 320, 1280), (1, 1280, 1000)}
    net.mark_quick("gemm", lambda r: (r["M"], r["K"], r["N"]) in gemm_quick)
    dw_quick = {(56, 144, 1), (56, 144, 2), (14, 384, 1), (7, 960, 1)}
    net.mark_quick("dwconv", lambda r: (r["H"], r["C"], r["stride"]) in dw_quick)
    net.mark_quick("conv", lambda r: True)
    sp_quick = {(144, 24, 3136), (96, 576, 196), (1280, 320, 49)}
    net.mark_quick("sparse", lambda r: (r["Cout"], r["Cin"], r["HW"]) in sp_quick)
    return net


def mobilenet_v1():
    """MobileNetV1 1.0-224 (Howard et al. 2017, Table 1)."""
    net = Net("mobilenet_v1", "MobileNetV1 1.0, 224x224, batch 1: stem, 13 depthwise 3x3 + pointwise 1x1 "
                              "pairs, classifier 1000")
    h = w = 224
    h, w = net.conv("stem", h, w, 3, 32, 3, 2)
    cin = 32
    pairs = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    for i, (cout, stride) in enumerate(pairs, 1):
        h, w = net.dw(f"l{i}.dw", h, w, cin, stride)
        net.pw(f"l{i}.pw", h, w, cin, cout)
        cin = cout
    net.fc("classifier", 1024, 1000)
    net.mark_quick("gemm", lambda r: (r["M"], r["K"], r["N"]) in {(3136, 128, 128), (196, 512, 512),
                                                                   (1, 1024, 1000)})
    net.mark_quick("dwconv", lambda r: (r["H"], r["C"], r["stride"]) in {(56, 128, 1), (14, 512, 1)})
    net.mark_quick("conv", lambda r: True)
    net.mark_quick("sparse", lambda r: (r["Cout"], r["Cin"], r["HW"]) in {(128, 128, 3136), (512, 512, 196)})
    return net


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for net in (mobilenet_v1(), mobilenet_v2()):
        print(net.dump(), len(net.layers), "layers")
