"""Benchmark layers and their data: layer tables, dedupe, inputs, and our operators.

A *layer* is one deduplicated shape of one family in one model table
(qkernels/bench_data/<model>.json).  A *case* is a layer with concrete
inputs, weights and quantization parameters; every implementation (ours and
each peer) is built from the same case and must produce the same output,
given here in one canonical layout per family:

    gemm    [M, N]          (int8 for qs8, uint8 for qu8)
    conv    [OH, OW, Cout]  NHWC without the batch
    dwconv  [OH, OW, C]
    sparse  [Cout, H*W]     float32
"""
import fnmatch
import json
import math
import os
import re
import zlib
from dataclasses import dataclass, field

import numpy as np

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_data")


@dataclass(frozen=True)
class Family:
    name: str
    op: str            # attribute of the qkernels module
    title: str
    kernel_keys: tuple  # substrings of the kernel-table family names this op runs
    kernel_exclude: tuple = ()
    quantized: bool = True


FAMILIES = {
    "gemm": Family("gemm", "Linear", "8-bit GEMM (qk.Linear; pointwise 1x1 and classifier layers, M x K x N)",
                   ("gemm",), ("igemm",)),
    "conv": Family("conv", "Conv2d", "8-bit convolution (qk.Conv2d; stem 3x3 s2, NHWC)", ("igemm", "conv", "gemm"),
                   ("dwconv",)),
    "dwconv": Family("dwconv", "DepthwiseConv2d", "8-bit depthwise convolution (qk.DepthwiseConv2d, NHWC)",
                     ("dwconv",)),
    "sparse": Family("sparse", "SparseConv1x1",
                     "sparse fp32 1x1 convolution (qk.SparseConv1x1, CHW; GOP/s dense-equivalent)", ("spmm",),
                     quantized=False),
}
OP_ALIASES = {"linear": "gemm", "fc": "gemm", "pointwise": "gemm", "conv2d": "conv", "depthwise": "dwconv",
              "dw": "dwconv", "spmm": "sparse", "sparseconv1x1": "sparse"}
DTYPES = ("qs8", "qu8")


class BenchError(Exception):
    """A user error (bad option, unreadable file): reported without a traceback."""


def builtin_models():
    try:
        names = sorted(f[:-5] for f in os.listdir(DATA_DIR) if f.endswith(".json"))
    except OSError:
        names = []
    return names


def load_table(model):
    """A built-in model name or a path to a layer table JSON file -> (name, layer records)."""
    path = model if (os.sep in model or model.endswith(".json")) else os.path.join(DATA_DIR, model + ".json")
    if not os.path.isfile(path):
        raise BenchError(f"unknown model {model!r}: built-in models are {', '.join(builtin_models())} "
                         "(or give the path of a layer table .json)")
    try:
        with open(path) as f:
            doc = json.load(f)
        layers = doc["layers"]
        name = doc.get("model", os.path.splitext(os.path.basename(path))[0])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BenchError(f"cannot read layer table {path}: {e}") from None
    if not isinstance(layers, list):
        raise BenchError(f"layer table {path}: 'layers' must be a list")
    return name, layers


_KEYS = {
    "gemm": ("M", "K", "N"),
    "conv": ("H", "W", "Cin", "Cout", "KH", "KW", "stride", "padding"),
    "dwconv": ("H", "W", "C", "KH", "KW", "stride", "padding"),
    "sparse": ("Cout", "Cin", "HW"),
}


def _out_hw(p):
    oh = (p["H"] + 2 * p["padding"] - p["KH"]) // p["stride"] + 1
    ow = (p["W"] + 2 * p["padding"] - p["KW"]) // p["stride"] + 1
    return oh, ow


@dataclass
class Layer:
    model: str
    family: str
    params: dict
    names: list = field(default_factory=list)
    quick: bool = False
    sparsity: float = None
    index: int = 0

    @property
    def count(self):
        return len(self.names)

    @property
    def name(self):
        return self.names[0]

    @property
    def shape(self):
        p = self.params
        if self.family == "gemm":
            return f"{p['M']}x{p['K']}x{p['N']}"
        if self.family == "conv":
            return f"{p['H']}x{p['W']}x{p['Cin']}>{p['Cout']} k{p['KH']} s{p['stride']}"
        if self.family == "dwconv":
            k = f"k{p['KH']}" if p["KH"] == p["KW"] else f"k{p['KH']}x{p['KW']}"
            return f"{p['H']}x{p['W']}x{p['C']} {k} s{p['stride']}"
        return f"{p['Cout']}x{p['Cin']}x{p['HW']} @{round(self.sparsity * 100)}%"

    @property
    def macs(self):
        """Multiply-accumulates of the dense layer (sparse: dense-equivalent)."""
        p = self.params
        if self.family == "gemm":
            return p["M"] * p["K"] * p["N"]
        if self.family == "conv":
            oh, ow = _out_hw(p)
            return oh * ow * p["Cout"] * p["KH"] * p["KW"] * p["Cin"]
        if self.family == "dwconv":
            oh, ow = _out_hw(p)
            return oh * ow * p["C"] * p["KH"] * p["KW"]
        return p["Cout"] * p["Cin"] * p["HW"]

    @property
    def nnz(self):
        """Nonzero weights of a sparse layer (exactly this many are generated)."""
        p = self.params
        return max(1, int(round(p["Cout"] * p["Cin"] * (1.0 - self.sparsity))))

    @property
    def nz_macs(self):
        return self.nnz * self.params["HW"] if self.family == "sparse" else self.macs

    def key(self):
        return (self.family, self.shape)


def _check_record(rec, where):
    if not isinstance(rec, dict) or rec.get("op") not in _KEYS:
        raise BenchError(f"{where}: each layer needs 'op' in {sorted(_KEYS)}, got {rec!r}")
    for k in _KEYS[rec["op"]]:
        v = rec.get(k)
        if isinstance(v, bool) or not isinstance(v, int) or v < (0 if k == "padding" else 1):
            raise BenchError(f"{where}: layer {rec.get('name', '?')!r} needs a positive integer {k!r}, got {v!r}")


def layers_of(model, records, families, sparsities=None):
    """Deduplicated layers of the given families, in network order, indexed per family."""
    out = {f: [] for f in families}
    seen = {}
    for i, rec in enumerate(records):
        _check_record(rec, f"model {model}")
        fam = rec["op"]
        if fam not in out:
            continue
        params = {k: rec[k] for k in _KEYS[fam]}
        name = str(rec.get("name", f"layer{i}"))
        spars = [None]
        if fam == "sparse":
            spars = sparsities if sparsities else rec.get("sparsity", [0.8])
        for s in spars:
            layer = Layer(model, fam, params, [name], bool(rec.get("quick", False)), s)
            k = layer.key()
            if k in seen:
                seen[k].names.append(name)
                seen[k].quick |= layer.quick
            else:
                seen[k] = layer
                out[fam].append(layer)
    for fam, lst in out.items():
        if fam == "sparse":  # group by sparsity: one block per level, network order inside
            lst.sort(key=lambda layer: layer.sparsity)
        for i, layer in enumerate(lst):
            layer.index = i
    return out


_RANGE = re.compile(r"^(\d+)-(\d+)$")


def parse_layer_filter(text):
    """'0,3-5,b3.*,3136x24x144' -> list of tokens (ints, (lo, hi) ranges, patterns)."""
    tokens = []
    for tok in (t.strip() for t in text.split(",")):
        if not tok:
            continue
        if tok.isdigit():
            tokens.append(int(tok))
        elif _RANGE.match(tok):
            lo, hi = map(int, _RANGE.match(tok).groups())
            if lo > hi:
                raise BenchError(f"--layers: empty range {tok!r}")
            tokens.append((lo, hi))
        else:
            tokens.append(tok)
    if not tokens:
        raise BenchError("--layers: give indices (0,2-4), layer names (b3.expand, 'b1*') or shapes (3136x24x144)")
    return tokens


def layer_matches(layer, tokens):
    for t in tokens:
        if isinstance(t, int):
            if layer.index == t:
                return True
        elif isinstance(t, tuple):
            if t[0] <= layer.index <= t[1]:
                return True
        elif any(fnmatch.fnmatchcase(n, t) for n in layer.names) or layer.shape == t or \
                layer.shape.split(" @")[0] == t or layer.shape.split(" ")[0] == t:
            return True
    return False


# --------------------------------------------------------------------- cases

@dataclass
class Case:
    layer: Layer
    dtype: str  # qs8 / qu8 / f32
    x: np.ndarray
    w: np.ndarray
    bias: np.ndarray
    q: dict = field(default_factory=dict)  # quantization parameters (quantized families)

    @property
    def out_shape(self):
        p = self.layer.params
        f = self.layer.family
        if f == "gemm":
            return (p["M"], p["N"])
        if f in ("conv", "dwconv"):
            oh, ow = _out_hw(p)
            return (oh, ow, p["Cout"] if f == "conv" else p["C"])
        return (p["Cout"], p["HW"])


def _hw(n):
    r = math.isqrt(n)
    return (r, r) if r * r == n else (n, 1)


def make_case(layer, dtype, seed=0):
    """Random inputs and weights over the full range of the dtype, with quantization
    parameters that put the outputs mostly inside the range (few saturate)."""
    rng = np.random.default_rng([seed, zlib.crc32(repr(layer.key()).encode())])
    p = layer.params
    f = layer.family
    if f == "sparse":
        cout, cin, hw = p["Cout"], p["Cin"], p["HW"]
        w = np.zeros(cout * cin, np.float32)
        pos = rng.permutation(cout * cin)[:layer.nnz]
        w[pos] = rng.standard_normal(layer.nnz).astype(np.float32)
        h, wd = _hw(hw)
        x = rng.standard_normal((cin, h, wd)).astype(np.float32)
        bias = rng.standard_normal(cout).astype(np.float32)
        return Case(layer, "f32", x, w.reshape(cout, cin), bias)
    signed = dtype == "qs8"
    dt = np.int8 if signed else np.uint8
    lo, hi = (-128, 127) if signed else (0, 255)
    if f == "gemm":
        xshape, wshape, n, keff = (p["M"], p["K"]), (p["N"], p["K"]), p["N"], p["K"]
    elif f == "conv":
        xshape = (1, p["H"], p["W"], p["Cin"])
        wshape = (p["Cout"], p["KH"], p["KW"], p["Cin"])
        n, keff = p["Cout"], p["KH"] * p["KW"] * p["Cin"]
    else:
        xshape, wshape, n, keff = (1, p["H"], p["W"], p["C"]), (p["KH"], p["KW"], p["C"]), p["C"], p["KH"] * p["KW"]
    x = rng.integers(lo, hi + 1, xshape, dtype=dt)
    # int8 weights in [-127, 127]: TFLite's symmetric per-channel convention, what
    # real int8 models hold (and what lets the int8-weight depthwise kernels run).
    w = rng.integers(-127 if signed else lo, hi + 1, wshape, dtype=dt)
    input_scale = 0.05
    if signed:
        weight_scale = 0.01 * (1.0 + 0.5 * rng.random(n))  # per output channel
        weight_zp, in_zp, out_zp = 0, 3, -3
    else:
        weight_scale = 0.01
        weight_zp, in_zp, out_zp = 127, 131, 125
    acc_std = math.sqrt(keff) * 74.0 * 74.0  # std of uniform full-range bytes is ~74
    output_scale = input_scale * float(np.mean(weight_scale)) * acc_std / 32.0
    bias = rng.integers(-int(acc_std) // 4 - 1, int(acc_std) // 4 + 1, n).astype(np.int32)
    q = dict(input_scale=input_scale, input_zero_point=in_zp, weight_scale=weight_scale,
             weight_zero_point=weight_zp, output_scale=output_scale, output_zero_point=out_zp)
    return Case(layer, dtype, x, w, bias, q)


def build_ours(qk, case):
    """Our operator for a case -> fn(threads) returning the canonical output; fn.kernel
    is the microkernel the operator runs (None if it does not say)."""
    layer, p = case.layer, case.layer.params
    f = layer.family
    cls = getattr(qk, FAMILIES[f].op)
    if f == "sparse":
        op = cls(case.w, case.bias)
        hw = p["HW"]
        fn = lambda threads: op(case.x, threads=threads).reshape(p["Cout"], hw)  # noqa: E731
    elif f == "gemm":
        op = cls(case.w, case.bias, **case.q)
        fn = lambda threads: op(case.x, threads=threads)  # noqa: E731
    else:
        op = cls(case.w, case.bias, stride=p["stride"], padding=p["padding"], **case.q)
        fn = lambda threads: op(case.x, threads=threads).reshape(case.out_shape)  # noqa: E731
    kernel = getattr(op, "kernel", None)
    fn.kernel = kernel if isinstance(kernel, str) else None
    return fn


def kernel_for(kernels, family, dtype, layer=None):
    """The kernel-table entries (qk.cpu_info()['kernels']) this family runs for dtype.

    With a layer, the entries of its tap count first when the table splits the
    family by taps (qs8_dwconv9 / qs8_dwconv25)."""
    fam = FAMILIES[family]
    prefix = "f32" if not fam.quantized else dtype
    for key in fam.kernel_keys:  # in order of preference
        hits = [(fam_name, name) for fam_name, name in kernels.items()
                if fam_name.startswith(prefix) and key in fam_name and "requant" not in fam_name
                and not any(x in fam_name for x in fam.kernel_exclude)]
        if hits:
            if layer is not None and "KH" in layer.params:
                taps = str(layer.params["KH"] * layer.params["KW"])
                hits.sort(key=lambda h: not re.search(r"\D%s$" % taps, h[0]))
            return [name for _, name in hits]
    return []


def short_kernel(name):
    """qs8_gemm_ukernel_4x8c4__avx2 -> 4x8c4__avx2 (the tile and ISA)."""
    if not name:
        return "?"
    return name.split("_ukernel_", 1)[1] if "_ukernel_" in name else name
