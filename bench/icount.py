#!/usr/bin/env python3
"""Instructions per MAC of qkernels layers on emulated Arm cores (qemu-user + our icount plugin).

    bench/icount.sh --cpu cortex-a72,cortex-a76 --ops gemm --layers 3136x24x144,1x1280x1000

Speed on Arm cannot be timed under emulation, but the number of executed
guest instructions is deterministic for a binary, input and -cpu model.  This
script
  1. builds the plugin bench/icount/icount.c (bench/icount/build.sh),
  2. makes the Debian guest root and cross-builds qkernels with the QEMU
     harness of tests/qemu/ (setup_root.sh, cross_build.py; cached, incremental),
  3. per -cpu model, runs bench/icount_driver.py in the emulated Python: each
     layer's operator runs R1 then R2 times between markers, and
     (count(R2 calls) - count(R1 calls)) / (R2 - R1) is one call,
  4. prints instructions per MAC (sparse: per nonzero MAC and per dense MAC)
     and the kernel that ran on each core.
Layers and inputs are those of `qkernels bench` (qkernels/bench_data/*.json);
without --layers the quick (anchor) layers run.  Single-threaded.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
QEMU_DIR = os.path.join(REPO, "tests", "qemu")
ARCHES = {"aarch64": ("qemu-aarch64", "arm64"), "armv7": ("qemu-arm", "armhf")}


def log(msg):
    sys.stderr.write(f"[icount] {msg}\n")
    sys.stderr.flush()


def die(msg):
    log("error: " + msg)
    sys.exit(2)


def sh(cmd, **kw):
    res = subprocess.run(cmd, **kw)
    if res.returncode != 0:
        die(f"{' '.join(cmd)} failed (exit {res.returncode})")
    return res


def guest_root(arch):
    """The root setup_root.sh makes (its path comes from tests/qemu/common.sh)."""
    out = subprocess.run(["bash", "-c", f'. "{QEMU_DIR}/common.sh"; arch_vars {arch}; echo "$ROOT"'],
                         capture_output=True, text=True)
    if out.returncode != 0:
        die(out.stderr.strip() or "tests/qemu/common.sh failed")
    return out.stdout.strip()


def cpu_models(qemu):
    res = subprocess.run([qemu, "-cpu", "help"], capture_output=True, text=True)
    return {line.split()[0] for line in res.stdout.splitlines()[1:] if line.strip()}


def parse_counts(path):
    marks, total = {}, None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts[:1] == ["guest_insns"]:
                total = int(parts[1])
            elif parts[:1] == ["mark"]:
                marks[int(parts[1])] = int(parts[2])
            elif parts[:1] == ["error"]:
                die("icount plugin: " + line.strip())
    return total, marks


def run_cpu(args, qemu, root, lib, out_dir, cpu):
    with tempfile.TemporaryDirectory() as tmp:
        counts = os.path.join(tmp, "counts.txt")
        cmd = [qemu, "-cpu", cpu, "-plugin", f"{lib},out={counts}", "-L", root, os.path.join(root, "usr/bin/python3"),
               "-P", os.path.join(HERE, "icount_driver.py"), "--ops", args.ops, "--model", args.model,
               "--dtype", args.dtype, "--reps", args.reps]
        for opt in ("layers", "sparsity", "preload"):
            if getattr(args, opt):
                cmd += ["--" + opt, getattr(args, opt)]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "LD_PRELOAD", "LD_LIBRARY_PATH")}
        env.update(PYTHONPATH=out_dir, PYTHONNOUSERSITE="1", PYTHONHASHSEED="0", QKERNELS_UNDER_QEMU="1",
                   QKERNELS_QEMU_CPU=cpu)
        if args.isa:
            env["QKERNELS_ISA"] = args.isa
        log(f"{cpu}: running the driver under {qemu}")
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp)
        if res.returncode != 0:
            die(f"guest driver failed on {cpu} (exit {res.returncode}):\n{res.stderr.strip()}")
        lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
        total, marks = parse_counts(counts)
    head, layers = lines[0], lines[1:]
    for rec in layers:
        per_call(rec, marks)
    return {"cpu": cpu, "guest_insns": total, **head, "layers": layers}


def per_call(rec, marks):
    """Instructions of one call from the three markers of a layer record (in place)."""
    if "marks" not in rec:
        return rec
    try:
        a, b, c = (marks[m] for m in rec["marks"])
    except KeyError as e:
        die(f"marker {e} of {rec['shape']} missing from the plugin output")
    r1, r2 = rec["reps"]
    rec["insns_per_call"] = ((c - b) - (b - a)) / (r2 - r1)
    rec["insns_per_mac"] = rec["insns_per_call"] / rec["macs"]
    if rec["family"] == "sparse":
        rec["insns_per_nz_mac"] = rec["insns_per_call"] / rec["nz_macs"]
    return rec


def short(kernel):
    return kernel.split("_ukernel_", 1)[1] if kernel and "_ukernel_" in kernel else (kernel or "?")


def table(runs):
    cpus = [r["cpu"] for r in runs]
    rows, notes = {}, []
    for run in runs:
        for rec in run["layers"]:
            if "unavailable" in rec:
                note = f"{rec['family']}: {rec['unavailable']} (on {run['cpu']})"
                if note not in notes:
                    notes.append(note)
                continue
            key = (rec["model"], rec["family"], rec["index"])
            row = rows.setdefault(key, {"rec": rec, "cells": {}})
            if "error" in rec:
                row["cells"][run["cpu"]] = "error"
                notes.append(f"{rec['family']} {rec['shape']} on {run['cpu']}: {rec['error']}")
            elif rec["family"] == "sparse":
                row["cells"][run["cpu"]] = (f"{rec['insns_per_nz_mac']:.3f}/nz ({rec['insns_per_mac']:.3f}) "
                                            f"{short(rec['kernel'])}")
            else:
                row["cells"][run["cpu"]] = f"{rec['insns_per_mac']:.3f} {short(rec['kernel'])}"
    headers = ["model", "family", "#", "layer", "shape", "MACs"] + cpus
    body = []
    for (model, fam, idx), row in rows.items():
        rec = row["rec"]
        body.append([model, fam, str(idx), rec["layer"], rec["shape"], f"{rec['macs'] / 1e6:.3g}M"] +
                    [row["cells"].get(c, "-") for c in cpus])
    widths = [max(len(x[i]) for x in [headers] + body) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [headers] + body]
    return "\n".join(lines + notes)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="aarch64", choices=sorted(ARCHES))
    ap.add_argument("--cpu", default="cortex-a72", help="qemu -cpu models, comma separated "
                                                        "(aarch64: cortex-a53,cortex-a72,cortex-a76,max; "
                                                        "armv7: cortex-a7,cortex-a15)")
    ap.add_argument("--ops", default="gemm", help="families: gemm,conv,dwconv,sparse")
    ap.add_argument("--model", default="mobilenet_v2", help="layer tables (names or .json paths)")
    ap.add_argument("--layers", help="indices, names or shapes as in `qkernels bench --layers` "
                                     "(default: the quick anchor layers)")
    ap.add_argument("--dtype", default="qs8", choices=["qs8", "qu8"])
    ap.add_argument("--sparsity", help="sparse family sparsities (default 0.8)")
    ap.add_argument("--reps", default="1,3", help="R1,R2 calls of the two counted windows (default 1,3)")
    ap.add_argument("--isa", help="QKERNELS_ISA cap in the guest, e.g. scalar or neon")
    ap.add_argument("--json", help="also write the counts as JSON here")
    ap.add_argument("--plugin", help="use this built plugin instead of bench/icount/build.sh's")
    ap.add_argument("--preload", help=argparse.SUPPRESS)  # harness tests: a .py imported first in the guest
    args = ap.parse_args()
    try:
        r1, r2 = (int(x) for x in args.reps.split(","))
        if not 0 <= r1 < r2:
            raise ValueError
    except ValueError:
        die(f"--reps wants two counts R1<R2, e.g. 1,3; got {args.reps!r}")
    from_ops = {"gemm", "conv", "dwconv", "sparse", "linear", "depthwise", "spmm"}
    for op in args.ops.split(","):
        if op not in from_ops:
            die(f"--ops: unknown op {op!r}; known: gemm, conv, dwconv, sparse")

    qemu, deb_arch = ARCHES[args.arch]
    lib = args.plugin or sh([os.path.join(HERE, "icount", "build.sh")], capture_output=True,
                            text=True).stdout.strip().splitlines()[-1]
    known = cpu_models(qemu)
    cpus = [c.strip() for c in args.cpu.split(",") if c.strip()]
    for c in cpus:
        if c not in known:
            die(f"{qemu} has no CPU model {c!r}; it has: {' '.join(sorted(known))}")
    root = guest_root(args.arch)
    log(f"guest root {root} (tests/qemu/setup_root.sh {args.arch})")
    sh([os.path.join(QEMU_DIR, "setup_root.sh"), args.arch], stdout=subprocess.DEVNULL)
    out_dir = os.environ.get("QKERNELS_QEMU_OUT") or os.path.join(REPO, "build", f"qemu-{args.arch}")
    sh([sys.executable, os.path.join(QEMU_DIR, "cross_build.py"), "--arch", args.arch, "--sysroot", root,
        "--out", out_dir], stdout=subprocess.DEVNULL)
    qv = subprocess.run([qemu, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    runs = [run_cpu(args, qemu, root, lib, out_dir, c) for c in cpus]
    print(f"guest instructions per MAC, {args.arch}, {qv}; one call = (count of {r2} calls - count of {r1}) / "
          f"{r2 - r1}; single thread; dtype {args.dtype}; cell = insns/MAC and the kernel that ran")
    print(table(runs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"arch": args.arch, "qemu": qv, "reps": [r1, r2], "runs": runs}, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
