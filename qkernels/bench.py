"""`qkernels bench`: every available operator on real layer shapes, next to its peers.

    python -m qkernels bench                      # quick run (MobileNetV2 anchor layers)
    python -m qkernels bench --full --json pi5.json
    python -m qkernels bench --compare pi4.json pi5.json

For each family whose operator exists in this build (qk.Linear, qk.Conv2d,
qk.DepthwiseConv2d, qk.SparseConv1x1) and each deduplicated layer of the
chosen models: the median time of our operator, GOP/s (2 * MACs / time), the
kernel that ran, and, for each installed peer (PyTorch qnnpack / fbgemm,
ONNX Runtime, numpy BLAS, scipy CSR), its time and our speedup.  A peer's
output is checked against ours before its time is trusted.
"""
import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np

from . import _bench_cases as C
from . import _bench_peers as P
from ._bench_cases import BenchError

SCHEMA = "qkernels-bench/1"
# Check outcomes whose time is trusted: bit-exact, within 1 LSB (quantized), within 1e-4 relative (float).
TRUSTED = ("exact", "ok", "close")
QUICK = dict(repeat=5, min_time=0.05)
FULL = dict(repeat=11, min_time=0.3)


# ------------------------------------------------------------------ timing

def measure(fn, min_samples, min_time, max_time=None):
    """Per-call times of fn (seconds): warm-up, then samples until both
    `min_samples` and `min_time` are reached (or `max_time`, with >= 3 samples).
    Calls shorter than ~1 ms are batched so each sample is >= ~1 ms."""
    if max_time is None:
        max_time = max(4.0 * min_time, 1.0)
    pc = time.perf_counter
    start = pc()
    warm = 0
    while warm < 2 or (pc() - start < 0.1 * min_time and warm < 20):
        fn()
        warm += 1
    t0 = pc()
    fn()
    est = pc() - t0
    inner = 1 if est >= 1e-3 else min(1000, max(1, int(1e-3 / max(est, 1e-7))))
    samples = []
    start = pc()
    while True:
        t0 = pc()
        for _ in range(inner):
            fn()
        samples.append((pc() - t0) / inner)
        elapsed = pc() - start
        if len(samples) >= min_samples and elapsed >= min_time:
            break
        if len(samples) >= 3 and elapsed >= max_time:
            break
    return {"min": min(samples), "median": statistics.median(samples), "max": max(samples),
            "samples": len(samples), "inner": inner}


# ------------------------------------------------------------------ progress

class Progress:
    """A bar on stderr when it is a terminal, plain lines otherwise."""

    def __init__(self, total, enabled=True, stream=None):
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()

    def step(self, what):
        self.done += 1
        if not self.enabled:
            return
        if self.tty:
            width = 28
            fill = int(width * self.done / self.total)
            line = f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} {what}"[:110]
            self.stream.write(line.ljust(110))
        else:
            self.stream.write(f"[{self.done}/{self.total}] {what}\n")
        self.stream.flush()

    def clear(self):
        if self.tty:
            self.stream.write("\r" + " " * 110 + "\r")
            self.stream.flush()


# ------------------------------------------------------------------ formatting

def fmt_time(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f}us"
    if s < 1:
        return f"{s * 1e3:.3g}ms"
    return f"{s:.3g}s"


def fmt_count(n):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return str(n)


def fmt_ratio(x):
    if x is None:
        return "-"
    return f"{x:.0f}x" if x >= 100 else (f"{x:.2f}x" if x >= 0.1 else f"{x:.2g}x")


def geomean(values):
    vals = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else None


def render_table(headers, rows, align=None):
    """Plain-text table; align: string of 'l'/'r' per column."""
    cols = len(headers)
    align = align or "l" * cols
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(cols)]
    out = []
    for r in [headers] + rows:
        cells = [str(c).ljust(w) if a == "l" else str(c).rjust(w) for c, w, a in zip(r, widths, align)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def peer_cell(m, ours):
    if m is None:
        return "-"
    if m.get("error"):
        return "error"
    chk = m.get("check", {})
    if not m.get("trusted"):
        return "mismatch"
    t = m["time"]["median"]
    sp = " " + fmt_ratio(t / ours["time"]["median"]) if ours and ours.get("time") else ""
    return fmt_time(t) + sp + ("~" if chk.get("status") == "ok" else "")


def family_table(model, fam, dtype, threads, layers, results, peers):
    """The text block of one (model, family, threads)."""
    ours = {r["index"]: r for r in results if r["impl"] == "qkernels"}
    by_peer = {}
    for r in results:
        if r["impl"] != "qkernels":
            by_peer.setdefault(r["impl"], {})[r["index"]] = r
    shown = [p for p in peers if p.name in by_peer]
    kernels = sorted({r["kernel"] for r in ours.values() if r.get("kernel")})
    head = (f"== {model} | {C.FAMILIES[fam].title} | {dtype if C.FAMILIES[fam].quantized else 'f32'} | "
            f"{threads} thread{'s' if threads > 1 else ''} | kernel: {', '.join(kernels) or '?'}")
    headers = ["#", "layer", "n", "shape", "MACs", "min", "median", "max", "GOP/s", "kernel"] + \
              [p.label for p in shown]
    rows, notes = [], []
    gops, speed = [], {p.name: [] for p in shown}
    for layer in layers:
        o = ours.get(layer.index)
        if o is None:
            continue
        if o.get("error"):
            row = [layer.index, layer.name, layer.count, layer.shape, fmt_count(layer.macs), "error", "", "", "", ""]
            notes.append(f"  #{layer.index} {layer.name}: ours failed: {o['error']}")
        else:
            t = o["time"]
            gops.append(o["gops"])
            row = [layer.index, layer.name, layer.count, layer.shape, fmt_count(layer.macs), fmt_time(t["min"]),
                   fmt_time(t["median"]), fmt_time(t["max"]), f"{o['gops']:.1f}", C.short_kernel(o.get("kernel"))]
        for p in shown:
            m = by_peer[p.name].get(layer.index)
            row.append(peer_cell(m, None if o.get("error") else o))
            if m and m.get("trusted") and not o.get("error"):
                speed[p.name].append(m["time"]["median"] / o["time"]["median"])
            if m and m.get("error"):
                notes.append(f"  #{layer.index} {p.label}: error: {m['error']}")
            elif m and not m.get("trusted"):
                chk = m.get("check", {})
                what = chk.get("detail") or (f"max diff {chk.get('max_diff')} LSB in {chk.get('n_diff')} of "
                                             f"{chk.get('size')} outputs" if "max_diff" in chk else
                                             f"{chk.get('n_diff')} of {chk.get('size')} outputs off by more "
                                             f"than 1e-4 relative")
                notes.append(f"  #{layer.index} {p.label}: output differs from ours ({what}); time "
                             f"{fmt_time(m['time']['median'])} not trusted")
        rows.append(row)
    g = geomean(gops)
    foot = ["", "geomean", "", "", "", "", "", "", f"{g:.1f}" if g else "-", ""]
    for p in shown:
        foot.append(fmt_ratio(geomean(speed[p.name])))
    rows.append(foot)
    align = "rlrlrrrrrl" + "r" * len(shown)
    text = head + "\n" + render_table(headers, rows, align)
    if notes:
        text += "\n" + "\n".join(notes)
    return text


def scaling_table(model, fam, layers, results, thread_list):
    ours = {(r["index"], r["threads"]): r for r in results if r["impl"] == "qkernels" and not r.get("error")}
    headers = ["#", "layer", "shape"] + [f"{t} thr GOP/s" for t in thread_list] + \
              [f"x{t}/{thread_list[0]}" for t in thread_list[1:]]
    rows = []
    for layer in layers:
        base = ours.get((layer.index, thread_list[0]))
        row = [layer.index, layer.name, layer.shape]
        for t in thread_list:
            r = ours.get((layer.index, t))
            row.append(f"{r['gops']:.1f}" if r else "-")
        for t in thread_list[1:]:
            r = ours.get((layer.index, t))
            row.append(f"{base['time']['median'] / r['time']['median']:.2f}" if (r and base) else "-")
        rows.append(row)
    head = f"== {model} | {fam}: thread scaling (ours)"
    return head + "\n" + render_table(headers, rows, "rll" + "r" * (2 * len(thread_list) - 1))


# ------------------------------------------------------------------ machine info

ARM_PARTS = {  # /proc/cpuinfo "CPU part" of Arm Ltd (implementer 0x41) cores
    "0xc07": "Cortex-A7", "0xc09": "Cortex-A9", "0xc0d": "Cortex-A17", "0xc0e": "Cortex-A17", "0xc0f": "Cortex-A15",
    "0xd03": "Cortex-A53", "0xd04": "Cortex-A35", "0xd05": "Cortex-A55", "0xd07": "Cortex-A57",
    "0xd08": "Cortex-A72", "0xd09": "Cortex-A73", "0xd0a": "Cortex-A75", "0xd0b": "Cortex-A76",
    "0xd0c": "Neoverse-N1", "0xd0d": "Cortex-A77", "0xd40": "Neoverse-V1", "0xd41": "Cortex-A78",
    "0xd44": "Cortex-X1", "0xd46": "Cortex-A510", "0xd47": "Cortex-A710", "0xd48": "Cortex-X2",
    "0xd49": "Neoverse-N2", "0xd4b": "Cortex-A78C", "0xd4d": "Cortex-A715", "0xd4e": "Cortex-X3",
    "0xd4f": "Neoverse-V2", "0xd80": "Cortex-A520", "0xd81": "Cortex-A720", "0xd82": "Cortex-X4",
}


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return None


def cpu_model(cpuinfo=None, dt_model=None):
    """(CPU model name, board model) from /proc/cpuinfo and the device tree, e.g.
    ("Cortex-A72", "Raspberry Pi 4 Model B Rev 1.4"); big.LITTLE: "Cortex-A55 + Cortex-A76"."""
    cpuinfo = _read("/proc/cpuinfo") if cpuinfo is None else cpuinfo
    dt_model = _read("/proc/device-tree/model") if dt_model is None else dt_model
    name, board, parts, implementer = "", "", [], None
    for line in (cpuinfo or "").splitlines():
        k, _, v = line.partition(":")
        k, v = k.strip().lower(), v.strip()
        if k in ("model name", "cpu model") and v and not name:
            name = v
        elif k == "model" and v and not v.isdigit():
            board = v
        elif k == "cpu implementer":
            implementer = v
        elif k == "cpu part" and v:
            part = ARM_PARTS.get(v.lower(), f"part {v}") if implementer in (None, "0x41") else f"part {v}"
            if part not in parts:
                parts.append(part)
    if parts and (not name or name.lower().startswith(("armv", "aarch64"))):
        name = " + ".join(parts)
    if dt_model and dt_model.strip("\x00\n "):
        board = dt_model.strip("\x00\n ")
    if not name:
        proc = platform.processor()
        name = proc if proc and proc not in ("unknown", platform.machine()) else platform.machine()
    return name, board


# ------------------------------------------------------------------ the run

def _parse_threads(text, max_threads):
    out = []
    for tok in text.split(","):
        tok = tok.strip()
        try:
            n = int(tok)
        except ValueError:
            raise BenchError(f"--threads: {tok!r} is not a thread count (want integers like 1 or 1,2,4)") from None
        if not 1 <= n <= max_threads:
            raise BenchError(f"--threads: {n} is out of range 1..{max_threads}")
        if n not in out:
            out.append(n)
    if not out:
        raise BenchError("--threads: give one or more thread counts, e.g. 1 or 1,2,4")
    return out


def _parse_ops(text):
    if text is None or text.strip().lower() == "all":
        return list(C.FAMILIES)
    ops = []
    for tok in text.split(","):
        t = tok.strip().lower()
        if not t:
            continue
        t = C.OP_ALIASES.get(t, t)
        if t not in C.FAMILIES:
            raise BenchError(f"--ops: unknown op {tok.strip()!r}; known: {', '.join(C.FAMILIES)} (or all)")
        if t not in ops:
            ops.append(t)
    if not ops:
        raise BenchError(f"--ops: give one or more of {', '.join(C.FAMILIES)}")
    return ops


def _parse_sparsity(text):
    out = []
    for tok in text.split(","):
        try:
            v = float(tok.strip().rstrip("%"))
        except ValueError:
            raise BenchError(f"--sparsity: {tok.strip()!r} is not a number (want e.g. 0.8 or 70,80,90)") from None
        if v >= 1.0:
            v /= 100.0
        if not 0.0 <= v < 1.0:
            raise BenchError(f"--sparsity: {tok.strip()} is out of range [0, 1)")
        out.append(round(v, 4))
    return out


def _check_writable(path, what):
    """Fail before the run, not after it, if the output cannot be written."""
    existed = os.path.exists(path)
    if os.path.isdir(path):
        raise BenchError(f"{what}: {path} is a directory")
    try:
        with open(path, "a"):
            pass
    except OSError as e:
        raise BenchError(f"{what}: cannot write {path}: {e.strerror or e}") from None
    if not existed:
        os.remove(path)


def _peer_list(args):
    peers = P.all_peers()
    wanted = None
    if args.peers:
        wanted = [t.strip() for t in args.peers.split(",") if t.strip()]
        names = {p.name for p in peers}
        bad = [w for w in wanted if w not in names]
        if bad or not wanted:
            raise BenchError(f"--peers: unknown peer {(bad or [args.peers])[0]!r}; known: "
                             f"{', '.join(p.name for p in peers)}")
    if args.no_peers:
        return [], {p.name: "disabled (--no-peers)" for p in peers}
    active, skipped = [], {}
    for p in peers:
        if wanted is not None and p.name not in wanted:
            skipped[p.name] = "not selected (--peers)"
            continue
        try:
            p.version = p.probe()
            active.append(p)
        except (P.PeerUnavailable, ImportError) as e:
            skipped[p.name] = str(e) if isinstance(e, P.PeerUnavailable) else f"not installed ({e})"
        except Exception as e:  # a broken install is a skipped peer, not a failed benchmark
            skipped[p.name] = f"unusable: {type(e).__name__}: {e}"
    return active, skipped


def run(args, out=None):
    out = out or sys.stdout
    import qkernels as qk

    info = qk.cpu_info()
    mode = FULL if args.full else QUICK
    repeat = args.repeat if args.repeat is not None else mode["repeat"]
    min_time = args.min_time if args.min_time is not None else mode["min_time"]
    if repeat < 1:
        raise BenchError(f"--repeat must be >= 1, got {repeat}")
    if not (min_time >= 0 and math.isfinite(min_time)):
        raise BenchError(f"--min-time must be >= 0 seconds, got {min_time}")
    ops = _parse_ops(args.ops)
    threads = _parse_threads(args.threads, int(getattr(qk._ext, "MAX_THREADS", 256)))
    if args.dtype not in C.DTYPES:
        raise BenchError(f"--dtype: unknown {args.dtype!r}; known: {', '.join(C.DTYPES)}")
    sparsities = _parse_sparsity(args.sparsity) if args.sparsity else ([0.8] if not args.full else None)
    tokens = C.parse_layer_filter(args.layers) if args.layers else None
    models = [m.strip() for m in args.model.split(",") if m.strip()] if args.model else \
        (C.builtin_models() if args.full else ["mobilenet_v2"])
    if not models:
        raise BenchError("--model: give a model name or a layer table path")
    if args.json:
        _check_writable(args.json, "--json")
    if args.plot:
        _need_matplotlib()
        _check_writable(args.plot, "--plot")

    # What exists in this build, and which peers are installed.
    fam_status = {}
    for f in ops:
        fam = C.FAMILIES[f]
        if hasattr(qk, fam.op):
            fam_status[f] = {"available": True, "operator": "qk." + fam.op,
                             "kernels": C.kernel_for(info["kernels"], f, args.dtype)}
        else:
            fam_status[f] = {"available": False, "operator": "qk." + fam.op,
                             "reason": "not available in this build"}
    runnable = [f for f in ops if fam_status[f]["available"]]
    peers, skipped = _peer_list(args)

    plan = []  # (model, family, [layers])
    for m in models:
        name, records = C.load_table(m)
        per_fam = C.layers_of(name, records, runnable, sparsities)
        for f in runnable:
            lst = per_fam[f]
            if tokens is not None:
                lst = [x for x in lst if C.layer_matches(x, tokens)]
            elif not args.full:
                lst = [x for x in lst if x.quick]
            if lst:
                plan.append((name, f, lst))
    if tokens is not None and runnable and not plan:
        raise BenchError(f"--layers {args.layers!r} matches no layer of {', '.join(models)} "
                         f"for {', '.join(runnable)}")

    cpu_name, board = cpu_model()
    w = out.write
    w(f"qkernels {qk.__version__} on {info['arch']} ({cpu_name}{', ' + board if board else ''}), "
      f"{info['available_cpus']} CPUs; python {platform.python_version()}, numpy {np.__version__}\n")
    w(f"mode: {'full' if args.full else 'quick'} (>= {repeat} samples and >= {min_time:g} s per measurement, "
      f"median shown); threads: {','.join(map(str, threads))}; dtype: {args.dtype}\n")
    if args.no_peers:
        w("peers: off (--no-peers)\n")
    else:
        if peers:
            w("peers: " + ", ".join(f"{p.label} {p.version}" + (f" [{p.note}]" if p.note else "") for p in peers)
              + "\n")
        for name, why in skipped.items():
            w(f"peer skipped: {name}: {why}\n")
    for f, st in fam_status.items():
        if not st["available"]:
            w(f"{f}: {st['operator']} not available in this build\n")
    if peers:
        w("peer cells: time and our speedup (peer time / our time; >1 = ours faster); ~ = within 1 LSB of ours, "
          "not bit-exact\n")
    w("\n")

    # Steps for the progress display.
    total = 0
    for _, f, lst in plan:
        n_peers = sum(1 for p in peers if p.supports(f, args.dtype) is None)
        total += len(lst) * len(threads) * (1 + n_peers)
    prog = Progress(total, enabled=not args.quiet)
    results = []
    failures = 0
    for model, f, layers in plan:
        block = []
        for layer in layers:
            case = C.make_case(layer, args.dtype, seed=args.seed)
            try:
                ours_fn = C.build_ours(qk, case)
                build_err = None
            except Exception as e:
                ours_fn, build_err = None, f"{type(e).__name__}: {e}"
            for t in threads:
                base = _record(layer, args.dtype, t)
                prog.step(f"{model} {f} {layer.shape} t={t} qkernels")
                rec = dict(base, impl="qkernels")
                kern = C.kernel_for(info["kernels"], f, args.dtype, layer)
                rec["kernel"] = getattr(ours_fn, "kernel", None) or (kern[0] if kern else None)
                ours_out = None
                try:
                    if build_err:
                        raise RuntimeError(build_err)
                    ours_out = np.asarray(ours_fn(t))
                    if ours_out.shape != case.out_shape:
                        raise RuntimeError(f"output shape {ours_out.shape}, expected {case.out_shape}")
                    rec["time"] = measure(lambda: ours_fn(t), repeat, min_time)
                    rec["gops"] = 2.0 * layer.macs / rec["time"]["median"] / 1e9
                except Exception as e:
                    rec["error"] = str(e) if isinstance(e, RuntimeError) and build_err else f"{type(e).__name__}: {e}"
                    failures += 1
                block.append(rec)
                for p in peers:
                    if p.supports(f, args.dtype) is not None:
                        continue
                    prog.step(f"{model} {f} {layer.shape} t={t} {p.name}")
                    if ours_out is None:
                        continue  # nothing to check it against
                    block.append(_run_peer(p, case, t, ours_out, dict(base), repeat, min_time))
            del case
        results += block
        prog.clear()
        for t in threads:
            w(family_table(model, f, args.dtype, t, layers, [r for r in block if r["threads"] == t], peers) + "\n\n")
        if len(threads) > 1:
            w(scaling_table(model, f, layers, block, threads) + "\n\n")
        out.flush()
    prog.clear()
    if not runnable:
        w("no operator family of " + ", ".join(ops) + " is available in this build yet: nothing to time\n")

    doc = {
        "schema": SCHEMA,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"host": platform.node(), "platform": platform.platform(), "machine": platform.machine(),
                    "cpu_model": cpu_name, "board": board, "python": platform.python_version(),
                    "numpy": np.__version__},
        "qkernels": {"version": qk.__version__, "cpu_info": info},
        "options": {"mode": "full" if args.full else "quick", "ops": ops, "models": models, "layers": args.layers,
                    "threads": threads, "dtype": args.dtype, "sparsity": sparsities, "repeat": repeat,
                    "min_time": min_time, "seed": args.seed},
        "families": fam_status,
        "peers": {**{p.name: {"available": True, "label": p.label, "version": p.version, "note": p.note}
                     for p in peers},
                  **{n: {"available": False, "reason": why} for n, why in skipped.items()}},
        "results": results,
    }
    if args.json:
        try:
            with open(args.json, "w") as fjson:
                json.dump(doc, fjson, indent=1, default=_json_default)
                fjson.write("\n")
        except OSError as e:
            raise BenchError(f"--json: cannot write {args.json}: {e.strerror or e}") from None
        w(f"wrote {args.json}\n")
    if args.plot:
        plot(doc, args.plot)
        w(f"wrote {args.plot}\n")
    if failures:
        sys.stderr.write(f"qkernels bench: {failures} measurement(s) of qkernels operators failed (see the tables)\n")
        return 1
    return 0


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def _record(layer, dtype, threads):
    return {"model": layer.model, "family": layer.family, "index": layer.index, "layer": layer.name,
            "names": list(layer.names), "count": layer.count, "shape": layer.shape, "params": dict(layer.params),
            "sparsity": layer.sparsity, "macs": layer.macs, "nz_macs": layer.nz_macs,
            "dtype": dtype if C.FAMILIES[layer.family].quantized else "f32", "threads": threads}


def _run_peer(p, case, t, ours_out, rec, repeat, min_time):
    rec["impl"] = p.name
    try:
        with p.threads(t):
            fn, finish = p.build(case, t)
            got = finish(fn())
            rec["check"] = p.check(case, got, ours_out)
            rec["trusted"] = rec["check"]["status"] in TRUSTED
            rec["time"] = measure(fn, repeat, min_time)
            rec["gops"] = 2.0 * case.layer.macs / rec["time"]["median"] / 1e9
        if p.note:
            rec["note"] = p.note
    except Exception as e:
        rec["error"] = f"{type(e).__name__}: {e}"
        rec["trusted"] = False
    return rec


# ------------------------------------------------------------------ compare

def load_run(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except OSError as e:
        raise BenchError(f"--compare: cannot read {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise BenchError(f"--compare: {path} is not valid JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("results"), list):
        raise BenchError(f"--compare: {path} is not a `qkernels bench --json` file (schema {SCHEMA})")
    return doc


def _describe(doc, path):
    m = doc.get("machine", {})
    q = doc.get("qkernels", {})
    board = f", {m['board']}" if m.get("board") else ""
    return (f"{path}: {m.get('machine', '?')} ({m.get('cpu_model', '?')}{board}), qkernels {q.get('version', '?')}, "
            f"{doc.get('created', '?')}")


def compare(path_a, path_b, impl="qkernels", out=None):
    out = out or sys.stdout
    a, b = load_run(path_a), load_run(path_b)
    w = out.write
    w("A = " + _describe(a, path_a) + "\n")
    w("B = " + _describe(b, path_b) + "\n")
    for fam in C.FAMILIES:
        ka = a.get("families", {}).get(fam, {}).get("kernels") or []
        kb = b.get("families", {}).get(fam, {}).get("kernels") or []
        if ka or kb:
            w(f"kernel {fam}: A {', '.join(ka) or '-'} | B {', '.join(kb) or '-'}\n")
    w(f"implementation compared: {impl}; ratio = A time / B time (>1: B faster)\n\n")

    def index(doc):
        d = {}
        for r in doc["results"]:
            if r.get("impl") == impl and r.get("time") and not r.get("error") and r.get("trusted", True):
                d[(r["model"], r["family"], r["shape"], r.get("dtype"), r["threads"])] = r
        return d
    ia, ib = index(a), index(b)
    common = [k for k in ia if k in ib]
    if not common:
        raise BenchError(f"--compare: the two runs have no measurement of {impl!r} in common "
                         "(same model, family, shape, dtype and threads)")
    groups = {}
    for k in common:
        groups.setdefault((k[0], k[1], k[3], k[4]), []).append(k)
    all_ratios = []
    for (model, fam, dtype, t), keys in groups.items():
        rows, ratios = [], []
        for k in keys:
            ra, rb = ia[k], ib[k]
            ta, tb = ra["time"]["median"], rb["time"]["median"]
            ratio = ta / tb
            ratios.append(ratio)
            rows.append([ra["layer"], ra["shape"], fmt_time(ta), fmt_time(tb), f"{ra['gops']:.1f}",
                         f"{rb['gops']:.1f}", f"{ratio:.2f}"])
        g = geomean(ratios)
        all_ratios += ratios
        rows.append(["geomean", "", "", "", "", "", f"{g:.2f}"])
        w(f"== {model} | {fam} | {dtype} | {t} thread{'s' if t > 1 else ''}\n")
        w(render_table(["layer", "shape", "A median", "B median", "A GOP/s", "B GOP/s", "A/B"], rows,
                       "llrrrrr") + "\n\n")
    only = len(set(ia) ^ set(ib))
    w(f"overall geomean A/B over {len(all_ratios)} measurements: {geomean(all_ratios):.2f}"
      + (f" ({only} measurement(s) in only one of the runs left out)" if only else "") + "\n")
    return 0


# ------------------------------------------------------------------ plot

def _need_matplotlib():
    try:
        P._import("matplotlib")
    except ImportError:
        raise BenchError("--plot needs matplotlib, which is not installed (pip install matplotlib)") from None


def plot(doc, path):
    mpl = P._import("matplotlib")
    mpl.use("Agg")
    plt = P._import("matplotlib.pyplot")
    t0 = doc["options"]["threads"][0]
    res = [r for r in doc["results"] if r["threads"] == t0 and r.get("gops") and not r.get("error")
           and (r["impl"] == "qkernels" or r.get("trusted"))]
    groups = []
    for r in res:
        g = (r["model"], r["family"])
        if g not in groups:
            groups.append(g)
    if not groups:
        raise BenchError("--plot: no measurement to plot")
    fig, axes = plt.subplots(len(groups), 1, figsize=(12, 3.2 * len(groups)), squeeze=False)
    for ax, (model, fam) in zip(axes[:, 0], groups):
        rs = [r for r in res if (r["model"], r["family"]) == (model, fam)]
        layers = sorted({(r["index"], r["shape"]) for r in rs})
        impls = ["qkernels"] + sorted({r["impl"] for r in rs} - {"qkernels"})
        width = 0.8 / len(impls)
        for j, impl in enumerate(impls):
            vals = {r["index"]: r["gops"] for r in rs if r["impl"] == impl}
            xs = [i + j * width for i in range(len(layers))]
            ax.bar(xs, [vals.get(idx, 0) for idx, _ in layers], width, label=impl)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(layers))])
        ax.set_xticklabels([s for _, s in layers], rotation=30, ha="right", fontsize=7)
        ax.set_ylabel("GOP/s")
        ax.set_title(f"{model} {fam}, {t0} thread{'s' if t0 > 1 else ''}", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except OSError as e:
        raise BenchError(f"--plot: cannot write {path}: {e.strerror or e}") from None
    finally:
        plt.close(fig)


# ------------------------------------------------------------------ CLI

def add_subparser(sub):
    p = sub.add_parser("bench", help="benchmark every available operator on MobileNet layers, with peers",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ops", metavar="LIST", help=f"families to run: {','.join(C.FAMILIES)} or all (default all)")
    p.add_argument("--model", metavar="LIST",
                   help=f"layer tables: {','.join(C.builtin_models())} or paths to .json tables "
                        "(default: mobilenet_v2 in --quick, all in --full)")
    p.add_argument("--layers", metavar="FILTER",
                   help="only these layers: indices (0,2-4; the # column), names (b3.expand, 'b1*') or shapes "
                        "(3136x24x144); selects from all layers, not just the quick ones")
    p.add_argument("--threads", default="1", metavar="LIST", help="thread counts, e.g. 1 or 1,2,4 (default 1)")
    p.add_argument("--dtype", default="qs8", help="quantized flavour: qs8 (int8, per-channel weights, default) or "
                                                  "qu8 (uint8 with zero points)")
    p.add_argument("--sparsity", metavar="LIST",
                   help="sparse family: weight sparsities, e.g. 0.7,0.8,0.9 (default 0.8 quick, table's in full)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="anchor layers, short measurements (the default)")
    g.add_argument("--full", action="store_true", help="every layer of every model, longer measurements")
    p.add_argument("--repeat", type=int, metavar="N", help="minimum timed samples per measurement "
                                                           f"(default {QUICK['repeat']} quick, {FULL['repeat']} full)")
    p.add_argument("--min-time", type=float, metavar="S",
                   help=f"minimum seconds per measurement (default {QUICK['min_time']} quick, {FULL['min_time']} full)")
    p.add_argument("--no-peers", action="store_true", help="time qkernels only")
    p.add_argument("--peers", metavar="LIST",
                   help="only these peers: " + ",".join(x.name for x in P.all_peers()))
    p.add_argument("--json", metavar="PATH", help="write every measurement, CPU info and versions as JSON")
    p.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"),
                   help="compare two saved runs (per layer time ratio and geomean); runs nothing")
    p.add_argument("--impl", default="qkernels", help="with --compare: which implementation to compare "
                                                      "(default qkernels; or a peer name)")
    p.add_argument("--plot", metavar="PATH.png", help="GOP/s per layer, ours vs peers (needs matplotlib)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    e = p.add_argument_group("whole networks (--end-to-end; see qkernels.models)")
    e.add_argument("--end-to-end", action="store_true",
                   help="time a whole network (--model mobilenet_v2 or mobilenet_v1, int8; mobilenet_v2 also "
                        "sparse fp32 at --sparsity, default 0,0.7,0.8,0.9) per --threads, with a per-layer "
                        "breakdown and ONNX Runtime / PyTorch (fbgemm, qnnpack) built from the same weights")
    e.add_argument("--input-size", type=int, default=224, metavar="N", help="input H = W (default 224)")
    e.add_argument("--width-mult", type=float, default=1.0, metavar="A", help="width multiplier (default 1.0)")
    e.add_argument("--top", type=int, default=10, metavar="N", help="layers shown in the breakdown (default 10)")
    e.add_argument("--no-sparse", action="store_true", help="skip the sparse fp32 networks")
    e.add_argument("--tflite", metavar="PATH",
                   help="time the network of a full-integer int8 .tflite file of --model's architecture "
                        "(qk.models.load_tflite; needs the 'tflite' package) instead of random weights; the "
                        "TFLite interpreter joins the peers when ai_edge_litert is installed")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display on stderr")
    p.set_defaults(func=main)
    return p


def run_end_to_end(args, out=None):
    from ._bench_e2e import run_e2e

    out = out or sys.stdout
    if args.json:
        _check_writable(args.json, "--json")
    quiet = args.quiet

    def progress(what):
        if not quiet:
            sys.stderr.write(f"[e2e] {what}\n")
            sys.stderr.flush()

    res = run_e2e(args, out, measure, render_table, progress)
    if args.json:
        import qkernels as qk

        doc = {"schema": SCHEMA + "+e2e", "cpu": qk.cpu_info(), "end_to_end": res}
        try:
            with open(args.json, "w") as fjson:
                json.dump(doc, fjson, indent=1, default=_json_default)
        except OSError as e:
            raise BenchError(f"--json: cannot write {args.json}: {e.strerror or e}") from None
        out.write(f"wrote {args.json}\n")
    return 0


def main(args):
    try:
        if args.end_to_end:
            return run_end_to_end(args)
        if args.compare:
            return compare(args.compare[0], args.compare[1], impl=args.impl)
        return run(args)
    except BenchError as e:
        sys.stderr.write(f"qkernels bench: error: {e}\n")
        return 2
