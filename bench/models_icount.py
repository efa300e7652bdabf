#!/usr/bin/env python3
"""Guest instructions of one whole-network inference on an emulated Arm core.

    python3 bench/models_icount.py --cpu cortex-a72 [--nets int8,sparse:0,sparse:0.7,sparse:0.8,sparse:0.9]

Same machinery as bench/icount.py (our qemu icount plugin, the tests/qemu guest
root and cross build); the guest runs bench/models_icount_driver.py.  The
count covers everything one `net(x)` executes in the guest: the Python
dispatch of every layer as well as the kernels.  Single thread.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import icount as I  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="aarch64", choices=sorted(I.ARCHES))
    ap.add_argument("--cpu", default="cortex-a72")
    ap.add_argument("--nets", default="int8,sparse:0,sparse:0.7,sparse:0.8,sparse:0.9")
    ap.add_argument("--input-size", type=int, default=224)
    ap.add_argument("--reps", default="1,2")
    ap.add_argument("--json")
    args = ap.parse_args()
    qemu, _ = I.ARCHES[args.arch]
    lib = I.sh([os.path.join(HERE, "icount", "build.sh")], capture_output=True, text=True).stdout.strip().splitlines()[-1]
    root = I.guest_root(args.arch)
    I.sh([os.path.join(I.QEMU_DIR, "setup_root.sh"), args.arch], stdout=subprocess.DEVNULL)
    out_dir = os.environ.get("QKERNELS_QEMU_OUT") or os.path.join(I.REPO, "build", f"qemu-{args.arch}")
    I.sh([sys.executable, os.path.join(I.QEMU_DIR, "cross_build.py"), "--arch", args.arch, "--sysroot", root,
          "--out", out_dir], stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        counts = os.path.join(tmp, "counts.txt")
        cmd = [qemu, "-cpu", args.cpu, "-plugin", f"{lib},out={counts}", "-L", root,
               os.path.join(root, "usr/bin/python3"), "-P", os.path.join(HERE, "models_icount_driver.py"),
               "--nets", args.nets, "--input-size", str(args.input_size), "--reps", args.reps]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "LD_PRELOAD", "LD_LIBRARY_PATH")}
        env.update(PYTHONPATH=out_dir, PYTHONNOUSERSITE="1", PYTHONHASHSEED="0", QKERNELS_UNDER_QEMU="1",
                   QKERNELS_QEMU_CPU=args.cpu)
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp)
        if res.returncode != 0:
            I.die(f"guest driver failed (exit {res.returncode}):\n{res.stderr.strip()}")
        lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
        _, marks = I.parse_counts(counts)
    head, nets = lines[0], lines[1:]
    qv = subprocess.run([qemu, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"{args.arch} -cpu {args.cpu}, {qv}, input {args.input_size}x{args.input_size}, 1 thread; "
          f"one inference = (count of {nets[0]['reps'][1]} - count of {nets[0]['reps'][0]}) / difference")
    for rec in nets:
        a, b, c = (marks[m] for m in rec["marks"])
        r1, r2 = rec["reps"]
        rec["insns"] = ((c - b) - (b - a)) / (r2 - r1)
        print(f"  {rec['net']:<12} {rec['insns'] / 1e6:10.1f} M insns  {rec['macs'] / 1e6:7.1f} M MACs  "
              f"{rec['insns'] / rec['macs']:.3f} insns/MAC  kernels: {', '.join(rec['kernels'])}")
    fams = ("qs8_gemm", "qs8_igemm", "qs8_dwconv", "qs8_vadd", "qs8_gavgpool", "f32_spmm", "chw_dwconv", "f32_vadd")
    print("dispatch: " + ", ".join(f"{k}={v}" for k, v in head["kernels"].items() if any(k.startswith(f) for f in fams)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpu": args.cpu, "qemu": qv, "head": head, "nets": nets}, f, indent=1)


if __name__ == "__main__":
    main()
