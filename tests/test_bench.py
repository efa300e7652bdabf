"""`qkernels bench`: layer tables, timing, the CLI end to end, JSON/--compare, clean errors.

The operators are replaced by the numpy doubles of tests/bench_fakes.py
(monkeypatched onto the module), so every family's code path runs whether or
not the real operator is in this build.  Runs use a tiny layer table and
--min-time 0, so the whole file takes a few seconds.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import qkernels as qk
from qkernels import _bench_cases as C
from qkernels import _bench_peers as P
from qkernels import bench as B
from qkernels.cli import main

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_fakes  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where the qkernels under test comes from (in-place build, installed package or
# the QEMU cross build): subprocesses must import that one, not ./qkernels.
PKG_PATH = os.path.dirname(os.path.dirname(os.path.abspath(qk.__file__)))


def _env():
    return dict(os.environ, PYTHONPATH=os.pathsep.join([PKG_PATH] + [p for p in os.environ.get(
        "PYTHONPATH", "").split(os.pathsep) if p]))

TINY = {"model": "tiny", "layers": [
    {"name": "stem", "op": "conv", "H": 12, "W": 12, "Cin": 3, "Cout": 8, "KH": 3, "KW": 3, "stride": 2,
     "padding": 1},
    {"name": "a.dw", "op": "dwconv", "H": 6, "W": 6, "C": 16, "KH": 3, "KW": 3, "stride": 1, "padding": 1},
    {"name": "a.pw", "op": "gemm", "M": 36, "K": 16, "N": 24},
    {"name": "a.pw", "op": "sparse", "Cout": 24, "Cin": 16, "HW": 36, "sparsity": [0.7, 0.9]},
    {"name": "b.dw", "op": "dwconv", "H": 6, "W": 6, "C": 16, "KH": 3, "KW": 3, "stride": 2, "padding": 1},
    {"name": "b.pw", "op": "gemm", "M": 36, "K": 16, "N": 24},
    {"name": "fc", "op": "gemm", "M": 1, "K": 64, "N": 10},
]}
FAST = ["--repeat", "2", "--min-time", "0", "--quiet"]


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY))
    return str(path)


@pytest.fixture
def fakes(monkeypatch):
    """All four operators as numpy doubles."""
    for name, cls in bench_fakes.ALL.items():
        monkeypatch.setattr(qk, name, cls, raising=False)
    bench_fakes.CALLS.clear()
    return bench_fakes


@pytest.fixture
def no_ops(monkeypatch):
    for name in bench_fakes.ALL:
        monkeypatch.delattr(qk, name, raising=False)


@pytest.fixture
def no_optional(monkeypatch):
    """Simulate a machine without torch, onnxruntime, onnx, scipy and threadpoolctl."""
    real = P._import
    missing = ("torch", "onnxruntime", "onnx", "scipy", "threadpoolctl", "matplotlib")

    def fake_import(name):
        if name.split(".")[0] in missing:
            raise ImportError(f"No module named {name!r}")
        return real(name)
    monkeypatch.setattr(P, "_import", fake_import)


def bench(capsys, *argv):
    rc = main(["bench", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def load(path):
    with open(path) as f:
        return json.load(f)


# ------------------------------------------------------------------ layer tables

def test_builtin_tables_match_the_architectures():
    """Total MACs of the built-in tables are the papers' figures (569M and 300M)."""
    totals = {}
    for model in ("mobilenet_v1", "mobilenet_v2"):
        name, records = C.load_table(model)
        assert name == model
        per = C.layers_of(name, records, ["gemm", "conv", "dwconv"])
        totals[model] = sum(layer.macs * layer.count for f in per for layer in per[f])
    assert round(totals["mobilenet_v1"] / 1e6) == 569
    assert round(totals["mobilenet_v2"] / 1e6) == 301


def test_mobilenet_v2_layers_and_dedupe():
    name, records = C.load_table("mobilenet_v2")
    per = C.layers_of(name, records, list(C.FAMILIES))
    gemm = {layer.shape: layer for layer in per["gemm"]}
    # The anchor shapes of ANCHORS.md are there.
    for shape in ("3136x24x144", "3136x144x24", "196x64x384", "196x576x96", "49x960x320", "49x320x1280",
                  "1x1280x1000"):
        assert shape in gemm, shape
    assert gemm["196x64x384"].count == 4  # expand of blocks 8-10 (c=64) and 11 (first c=96)
    assert gemm["1x1280x1000"].names == ["classifier"]
    dw = {layer.shape for layer in per["dwconv"]}
    assert {"56x56x144 k3 s1", "56x56x144 k3 s2", "28x28x192 k3 s1", "14x14x384 k3 s1", "7x7x960 k3 s1",
            "112x112x32 k3 s1"} <= dw
    assert [layer.shape for layer in per["conv"]] == ["224x224x3>32 k3 s2"]
    sp = per["sparse"]
    assert {layer.sparsity for layer in sp} == {0.7, 0.8, 0.9}
    assert "144x24x3136 @80%" in {layer.shape for layer in sp}
    assert [layer.index for layer in sp] == list(range(len(sp)))
    # Quick layers: a few per family.
    assert 1 <= sum(layer.quick for layer in per["gemm"]) <= 5
    # Sparse layers carry exactly the requested number of nonzeros.
    layer = next(x for x in sp if x.shape == "144x24x3136 @80%")
    case = C.make_case(layer, "qs8")
    assert np.count_nonzero(case.w) == layer.nnz == round(144 * 24 * 0.2)


def test_mobilenet_v1_layers():
    name, records = C.load_table("mobilenet_v1")
    per = C.layers_of(name, records, ["gemm", "dwconv"])
    gemm = {layer.shape: layer.count for layer in per["gemm"]}
    assert gemm["196x512x512"] == 5
    assert gemm["1x1024x1000"] == 1
    assert gemm["49x1024x1024"] == 1
    assert "7x7x1024 k3 s1" in {layer.shape for layer in per["dwconv"]}


def test_layer_filter():
    name, records = C.load_table("mobilenet_v2")
    per = C.layers_of(name, records, ["gemm"])["gemm"]
    pick = lambda text: [x.index for x in per if C.layer_matches(x, C.parse_layer_filter(text))]  # noqa: E731
    assert pick("0,2-3") == [0, 2, 3]
    assert [per[i].shape for i in pick("3136x24x144")] == ["3136x24x144"]
    assert [per[i].name for i in pick("classifier")] == ["classifier"]
    assert [per[i].name for i in pick("b1.*")] == ["b1.project"]
    assert len(pick("b1*")) > 1  # b1.project, b10.*, b11.*, ...


def test_measure_statistics():
    calls = []
    t = B.measure(lambda: calls.append(1), min_samples=7, min_time=0.0)
    assert t["samples"] >= 7
    assert 0 < t["min"] <= t["median"] <= t["max"]
    assert len(calls) >= 7 * t["inner"] + 3


def test_kernel_names_per_family():
    kernels = {"qs8_requant_fp32": "qs8_requant_fp32_ukernel__sse2", "qs8_gemm": "qs8_gemm_ukernel_3x8c8__avx2",
               "qu8_gemm": "qu8_gemm_ukernel_3x8c8__avx2", "qs8_dwconv25": "qs8_dwconv_ukernel_up16x25__avx2",
               "qs8_dwconv9": "qs8_dwconv_ukernel_up16x9__avx2", "f32_spmm": "f32_spmm_ukernel_32x4__avx2"}
    assert C.kernel_for(kernels, "gemm", "qu8") == ["qu8_gemm_ukernel_3x8c8__avx2"]
    assert C.kernel_for(kernels, "conv", "qs8") == ["qs8_gemm_ukernel_3x8c8__avx2"]  # no igemm family: gemm
    dw3 = C.Layer("m", "dwconv", {"H": 8, "W": 8, "C": 8, "KH": 3, "KW": 3, "stride": 1, "padding": 1}, ["x"])
    dw5 = C.Layer("m", "dwconv", dict(dw3.params, KH=5, KW=5, padding=2), ["y"])
    assert C.kernel_for(kernels, "dwconv", "qs8", dw3)[0] == "qs8_dwconv_ukernel_up16x9__avx2"
    assert C.kernel_for(kernels, "dwconv", "qs8", dw5)[0] == "qs8_dwconv_ukernel_up16x25__avx2"
    assert C.kernel_for(kernels, "sparse", "qs8") == ["f32_spmm_ukernel_32x4__avx2"]
    assert C.kernel_for({}, "gemm", "qs8") == [] and C.short_kernel(None) == "?"
    assert C.short_kernel("qs8_dwconv_ukernel_up16x9__avx2") == "up16x9__avx2"


def test_cpu_model_names():
    pi4 = ("processor\t: 0\nBogoMIPS\t: 108.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\n"
           "processor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\n"
           "Hardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n")
    assert B.cpu_model(pi4, "") == ("Cortex-A72", "Raspberry Pi 4 Model B Rev 1.4")
    assert B.cpu_model(pi4, "Raspberry Pi 5 Model B Rev 1.0\x00")[1] == "Raspberry Pi 5 Model B Rev 1.0"
    phone = "CPU implementer\t: 0x41\nCPU part\t: 0xd05\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n"
    assert B.cpu_model(phone, "")[0] == "Cortex-A55 + Cortex-A76"
    x86 = "processor\t: 0\nmodel name\t: AMD EPYC 7B13 64-Core Processor\nmodel\t\t: 1\n"
    assert B.cpu_model(x86, "") == ("AMD EPYC 7B13 64-Core Processor", "")


def test_cases_are_deterministic():
    layer = C.Layer("m", "gemm", {"M": 8, "K": 16, "N": 4}, ["x"])
    a, b = C.make_case(layer, "qs8"), C.make_case(layer, "qs8")
    assert np.array_equal(a.x, b.x) and np.array_equal(a.w, b.w)
    assert a.x.dtype == np.int8 and C.make_case(layer, "qu8").x.dtype == np.uint8


# ------------------------------------------------------------------ end to end

def test_end_to_end_all_families_with_peers(capsys, tmp_path, tiny, fakes):
    js = str(tmp_path / "run.json")
    rc, out, err = bench(capsys, "--model", tiny, "--full", *FAST, "--json", js)
    assert rc == 0, err
    for fam in C.FAMILIES.values():
        assert fam.title in out
    assert "geomean" in out and "Traceback" not in out + err
    doc = load(js)
    assert doc["schema"] == B.SCHEMA
    assert doc["qkernels"]["cpu_info"]["arch"] == qk.cpu_info()["arch"]
    assert all(doc["families"][f]["available"] for f in C.FAMILIES)
    ours = [r for r in doc["results"] if r["impl"] == "qkernels"]
    assert {(r["family"], r["shape"]) for r in ours} == {
        ("conv", "12x12x3>8 k3 s2"), ("dwconv", "6x6x16 k3 s1"), ("dwconv", "6x6x16 k3 s2"),
        ("gemm", "36x16x24"), ("gemm", "1x64x10"), ("sparse", "24x16x36 @70%"), ("sparse", "24x16x36 @90%")}
    gemm = next(r for r in ours if r["shape"] == "36x16x24")
    assert gemm["count"] == 2 and gemm["names"] == ["a.pw", "b.pw"] and gemm["macs"] == 36 * 16 * 24
    for r in ours:
        t = r["time"]
        assert "error" not in r and 0 < t["min"] <= t["median"] <= t["max"] and t["samples"] >= 2
        assert r["gops"] == pytest.approx(2 * r["macs"] / t["median"] / 1e9)
    # numpy is always there: the float GEMM and dense sparse references check against ours.
    np_rows = [r for r in doc["results"] if r["impl"] == "numpy"]
    assert {r["family"] for r in np_rows} == {"gemm", "sparse"}
    for r in np_rows:
        assert r["trusted"] and r["check"]["status"] in B.TRUSTED, r
    # Every peer that is installed ran every layer it supports and was checked.
    for name, peer in doc["peers"].items():
        rows = [r for r in doc["results"] if r["impl"] == name]
        if peer["available"]:
            assert rows and all("check" in r or "error" in r for r in rows)
        else:
            assert not rows and peer["reason"]
    # qnnpack (when installed) is exact on these layers: its path maps qs8 onto quint8 correctly.
    for r in doc["results"]:
        if r["impl"] == "torch-qnnpack":
            assert r["check"]["status"] == "exact", r
        if r["impl"] == "onnxruntime":
            assert r["check"]["status"] in ("exact", "ok"), r


def test_without_optional_peers(capsys, tmp_path, tiny, fakes, no_optional):
    js = str(tmp_path / "run.json")
    rc, out, err = bench(capsys, "--model", tiny, "--full", *FAST, "--json", js)
    assert rc == 0, err
    assert "peer skipped: torch-qnnpack: torch not installed" in out
    assert "peer skipped: onnxruntime: onnxruntime not installed" in out
    assert "peer skipped: scipy: not installed" in out
    doc = load(js)
    assert {n for n, p in doc["peers"].items() if p["available"]} == {"numpy"}
    assert "threadpoolctl" in doc["peers"]["numpy"]["note"]  # BLAS threads not pinned, and it says so
    assert {r["impl"] for r in doc["results"]} == {"qkernels", "numpy"}


def test_no_peers_threads_and_progress(capsys, tmp_path, tiny, fakes):
    js = str(tmp_path / "run.json")
    rc = main(["bench", "--model", tiny, "--full", "--repeat", "2", "--min-time", "0", "--no-peers",
               "--threads", "1,2", "--ops", "gemm,sparse", "--json", js])
    out, err = capsys.readouterr()
    assert rc == 0
    assert "thread scaling" in out
    assert "[1/" in err  # plain progress lines: stderr is not a terminal here
    doc = load(js)
    assert {r["impl"] for r in doc["results"]} == {"qkernels"}
    assert {r["threads"] for r in doc["results"]} == {1, 2}
    assert {r["family"] for r in doc["results"]} == {"gemm", "sparse"}
    assert ("Linear", 2) in fakes.CALLS and ("SparseConv1x1", 1) in fakes.CALLS


def test_missing_families_are_listed_not_errors(capsys, tmp_path, tiny, no_ops, monkeypatch):
    monkeypatch.setattr(qk, "Linear", bench_fakes.Linear, raising=False)
    js = str(tmp_path / "run.json")
    rc, out, err = bench(capsys, "--model", tiny, "--full", *FAST, "--no-peers", "--json", js)
    assert rc == 0, err
    for op in ("Conv2d", "DepthwiseConv2d", "SparseConv1x1"):
        assert f"qk.{op} not available in this build" in out
    doc = load(js)
    assert doc["families"]["gemm"]["available"] and not doc["families"]["dwconv"]["available"]
    assert {r["family"] for r in doc["results"]} == {"gemm"}


def test_nothing_available(capsys, tiny, no_ops):
    rc, out, err = bench(capsys, "--model", tiny, *FAST, "--no-peers")
    assert rc == 0
    assert "nothing to time" in out


def test_operator_failure_is_reported(capsys, tiny, fakes, monkeypatch):
    monkeypatch.setattr(qk, "Linear", bench_fakes.Broken)
    rc, out, err = bench(capsys, "--model", tiny, "--full", *FAST, "--no-peers")
    assert rc == 1
    assert "unsupported shape in this build" in out
    assert "8-bit depthwise" in out  # the other families still ran
    assert "failed" in err and "Traceback" not in err


def test_qu8(capsys, tmp_path, tiny, fakes):
    js = str(tmp_path / "run.json")
    rc, out, err = bench(capsys, "--model", tiny, "--full", *FAST, "--dtype", "qu8", "--ops", "gemm",
                         "--peers", "torch-qnnpack,numpy", "--json", js)
    assert rc == 0, err
    doc = load(js)
    assert {r["dtype"] for r in doc["results"]} == {"qu8"}
    assert all(r["check"]["status"] in B.TRUSTED for r in doc["results"] if r["impl"] == "numpy")
    assert not any(r["impl"] == "torch-qnnpack" for r in doc["results"])  # needs qs8: not run


def test_quick_default_uses_anchor_layers(capsys, tmp_path, fakes, monkeypatch):
    # Default model and mode; one small layer keeps it fast.
    js = str(tmp_path / "run.json")
    rc, out, err = bench(capsys, *FAST, "--no-peers", "--ops", "gemm", "--layers", "1x1280x1000", "--json", js)
    assert rc == 0, err
    doc = load(js)
    assert doc["options"]["mode"] == "quick" and doc["options"]["models"] == ["mobilenet_v2"]
    assert [r["shape"] for r in doc["results"]] == ["1x1280x1000"]


def test_json_round_trips_through_compare(capsys, tmp_path, tiny, fakes):
    a, b = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    for path in (a, b):
        assert main(["bench", "--model", tiny, "--full", *FAST, "--peers", "numpy", "--json", path]) == 0
    capsys.readouterr()
    rc, out, err = bench(capsys, "--compare", a, b)
    assert rc == 0, err
    assert f"A = {a}" in out and f"B = {b}" in out
    assert "36x16x24" in out and "24x16x36 @90%" in out and "12x12x3>8 k3 s2" in out
    assert "overall geomean A/B over 7 measurements" in out
    rc, out, err = bench(capsys, "--compare", a, b, "--impl", "numpy")
    assert rc == 0 and "over 4 measurements" in out


def test_plot(capsys, tmp_path, tiny, fakes):
    png = str(tmp_path / "gops.png")
    try:
        import matplotlib  # noqa: F401
        have = True
    except ImportError:
        have = False
    rc, out, err = bench(capsys, "--model", tiny, "--full", *FAST, "--peers", "numpy", "--plot", png)
    if have:
        assert rc == 0, err
        with open(png, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    else:
        assert rc == 2 and "--plot needs matplotlib" in err


def test_plot_without_matplotlib(capsys, tmp_path, tiny, fakes, no_optional):
    rc, out, err = bench(capsys, "--model", tiny, *FAST, "--plot", str(tmp_path / "x.png"))
    assert rc == 2
    assert "--plot needs matplotlib, which is not installed" in err
    assert out == ""  # fails before running anything


# ------------------------------------------------------------------ clean errors

@pytest.mark.parametrize("argv, message", [
    (["--ops", "gemm,winograd"], "unknown op 'winograd'"),
    (["--threads", "0"], "--threads: 0 is out of range"),
    (["--threads", "1,two"], "'two' is not a thread count"),
    (["--threads", "100000"], "out of range"),
    (["--model", "resnet50"], "unknown model 'resnet50'"),
    (["--layers", "nosuchlayer"], "matches no layer"),
    (["--dtype", "int4"], "--dtype: unknown 'int4'"),
    (["--sparsity", "1.5x"], "--sparsity"),
    (["--repeat", "0"], "--repeat must be >= 1"),
    (["--peers", "tensorflow"], "unknown peer 'tensorflow'"),
    (["--json", "/nonexistent-dir/run.json"], "--json: cannot write /nonexistent-dir/run.json"),
])
def test_bad_options(capsys, fakes, tiny, argv, message):
    rc, out, err = bench(capsys, "--model", tiny, *FAST, "--no-peers", *argv)
    assert rc == 2
    assert message in err, err
    assert "Traceback" not in err


def test_json_path_is_a_directory(capsys, tmp_path, fakes, tiny):
    rc, out, err = bench(capsys, "--model", tiny, *FAST, "--json", str(tmp_path))
    assert rc == 2 and "is a directory" in err
    assert out == ""  # checked before the run


def test_compare_bad_files(capsys, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text("not json")
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    rc, out, err = bench(capsys, "--compare", str(junk), str(other))
    assert rc == 2 and "is not valid JSON" in err
    rc, out, err = bench(capsys, "--compare", str(other), str(other))
    assert rc == 2 and "is not a `qkernels bench --json` file" in err
    rc, out, err = bench(capsys, "--compare", str(tmp_path / "missing.json"), str(other))
    assert rc == 2 and "cannot read" in err


def test_command_line_entry_point(tmp_path):
    """The real `python -m qkernels bench`: a run, and an error without a traceback."""
    env = _env()
    ok = subprocess.run([sys.executable, "-m", "qkernels", "bench", "--no-peers", "--ops", "gemm", "--layers",
                         "1x1280x1000", "--repeat", "2", "--min-time", "0"],
                        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "qkernels" in ok.stdout and ("8-bit GEMM" in ok.stdout or "not available in this build" in ok.stdout)
    bad = subprocess.run([sys.executable, "-m", "qkernels", "bench", "--ops", "nope"],
                         cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "qkernels bench: error: --ops: unknown op 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr


# ------------------------------------------------------------------ bench/icount (host side)

def _icount_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("qk_icount", os.path.join(REPO, "bench", "icount.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_icount_driver_protocol(tmp_path):
    """The guest driver runs natively too (markers are plain getpid calls there): one JSON
    header, then per layer three marker labels, or why the family cannot run."""
    pre = tmp_path / "preload.py"
    pre.write_text("import sys\nsys.path.insert(0, %r)\nimport qkernels as qk, bench_fakes\n"
                   "for k, v in bench_fakes.ALL.items():\n    setattr(qk, k, v)\n"
                   % os.path.dirname(os.path.abspath(__file__)))
    env = _env()
    drv = os.path.join(REPO, "bench", "icount_driver.py")
    res = subprocess.run([sys.executable, drv, "--ops", "gemm,sparse", "--layers", "1x1280x1000,1280x320x49",
                          "--preload", str(pre)], env=env, capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert lines[0]["arch"] == qk.cpu_info()["arch"]
    assert [(x["family"], x["shape"], x["marks"]) for x in lines[1:]] == [
        ("gemm", "1x1280x1000", [0, 1, 2]), ("sparse", "1280x320x49 @80%", [3, 4, 5])]
    res = subprocess.run([sys.executable, drv, "--ops", "gemm", "--layers", "1x1280x1000"], env=env,
                         capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr
    last = json.loads(res.stdout.splitlines()[-1])
    assert ("unavailable" in last) == (not hasattr(qk, "Linear"))


def test_icount_arithmetic_and_table(tmp_path):
    ic = _icount_module()
    counts = tmp_path / "counts.txt"
    counts.write_text("guest_insns 5000000\nmark 0 1000000\nmark 1 1400000\nmark 2 2200000\n")
    total, marks = ic.parse_counts(str(counts))
    assert total == 5000000 and marks == {0: 1000000, 1: 1400000, 2: 2200000}
    rec = {"model": "m", "family": "sparse", "index": 0, "layer": "x", "shape": "8x8x8 @80%", "macs": 512,
           "nz_macs": 100, "kernel": "f32_spmm_ukernel_32x1__neon", "reps": [1, 3], "marks": [0, 1, 2]}
    ic.per_call(rec, marks)
    assert rec["insns_per_call"] == (800000 - 400000) / 2
    assert rec["insns_per_mac"] == 200000 / 512 and rec["insns_per_nz_mac"] == 2000
    run = {"cpu": "cortex-a72", "layers": [rec, {"model": "m", "family": "dwconv", "unavailable": "no op"}]}
    text = ic.table([run])
    assert "cortex-a72" in text and "2000.000/nz" in text and "32x1__neon" in text and "no op" in text
