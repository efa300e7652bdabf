#!/usr/bin/env python3
"""Guest instructions per MAC of the 8-bit GEMM kernels under qemu-user.

    python3 bench/gemm_icount.py --arch aarch64 --cpu cortex-a72 [--cpu cortex-a76 ...]
                                 [--family qs8_gemm] [--kernels a,b] [--shapes 49x960x320,...]
                                 [--mode fp32|gemmlowp] [--check] [--cc gcc|clang]

Needs the cross build of tests/qemu/run.sh (build/qemu-ARCH: it is refreshed
here with tests/qemu/cross_build.py) and the icount plugin
(/work/shared/tools/qemu-icount/build.sh, or --plugin).  Links
bench/gemm_icount.c with the built objects, then for every (cpu, kernel,
shape) runs it twice, with R1 and R2 layer calls (qk_run_gemm, 1 thread), and
reports (count(R2) - count(R1)) / (R2 - R1) / (M*K*N).  Counts are exact and
repeatable, not cycles.  With --check, every kernel's output checksum must
equal the scalar twin's on the same shape.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHAPES = ["3136x24x144", "3136x144x24", "196x64x384", "196x576x96", "49x960x320", "49x320x1280", "1x1280x1000"]
TRIPLET = {"aarch64": "aarch64-linux-gnu", "armv7": "arm-linux-gnueabihf"}
QEMU = {"aarch64": "qemu-aarch64", "armv7": "qemu-arm"}
DEB = {"aarch64": "arm64", "armv7": "armhf"}


def build(arch, root, cc="gcc"):
    out = os.path.join(REPO, "build", "qemu-" + arch + ("-clang" if cc == "clang" else ""))
    subprocess.run([sys.executable, os.path.join(REPO, "tests/qemu/cross_build.py"), "--arch", arch, "--sysroot",
                    root, "--out", out, "--cc", cc], check=True, stdout=subprocess.DEVNULL)
    objs = [o for o in glob.glob(os.path.join(out, "build/obj/*.o")) if not os.path.basename(o).startswith("_ext")]
    exe = os.path.join(out, "gemm_icount")
    compiler = [TRIPLET[arch] + "-gcc"] if cc == "gcc" else ["clang", "--target=" + TRIPLET[arch]]
    subprocess.run(compiler + ["-O2", "-std=c11", "-I", os.path.join(REPO, "csrc/include"),
                    os.path.join(HERE, "gemm_icount.c")] + objs + ["-o", exe, "-lpthread", "-lm"], check=True)
    return exe


def count(arch, cpu, root, plugin, exe, args):
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as f:
        res = subprocess.run([QEMU[arch], "-cpu", cpu, "-plugin", "%s,out=%s" % (plugin, f.name), "-L", root, exe]
                             + [str(a) for a in args], capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError("%s failed: %s" % (" ".join(map(str, args)), res.stderr))
        return int(open(f.name).read().split()[1]), res.stdout.split("checksum=")[-1].strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", required=True, choices=sorted(TRIPLET))
    ap.add_argument("--cc", choices=("gcc", "clang"), default="gcc",
                    help="compiler of the kernels (clang: build/qemu-ARCH-clang, as Termux/Apple builds)")
    ap.add_argument("--cpu", action="append", required=True)
    ap.add_argument("--family", action="append")
    ap.add_argument("--kernels", help="comma-separated names (default: every usable non-scalar variant)")
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--mode", default="fp32", choices=["fp32", "gemmlowp"])
    ap.add_argument("--reps", default="1,3")
    ap.add_argument("--check", action="store_true", help="compare output checksums with the scalar twin")
    ap.add_argument("--plugin", default=os.path.expanduser("~/.cache/qemu-icount/libicount.so"))
    args = ap.parse_args()
    root = os.path.expanduser("~/.cache/qkernels-qemu/bookworm-" + DEB[args.arch])
    exe = build(args.arch, root, args.cc)
    r1, r2 = (int(r) for r in args.reps.split(","))
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    print("| family | kernel | cpu | " + " | ".join("x".join(map(str, s)) for s in shapes) + " |")
    print("|---|---|---|" + "---|" * len(shapes))
    bad = 0
    for cpu in args.cpu:
        for family in args.family or ["qs8_gemm", "qu8_gemm"]:
            listed = subprocess.run([QEMU[args.arch], "-cpu", cpu, "-L", root, exe, "--list", family],
                                    capture_output=True, text=True, check=True).stdout.split()
            names = args.kernels.split(",") if args.kernels else [n for n in listed if not n.endswith("__scalar")]
            ref = {}
            for name in names:
                if name not in listed:
                    continue
                row = []
                for (m, k, n) in shapes:
                    c1, s1 = count(args.arch, cpu, root, args.plugin, exe, [family, name, m, k, n, r1, args.mode])
                    c2, s2 = count(args.arch, cpu, root, args.plugin, exe, [family, name, m, k, n, r2, args.mode])
                    if args.check:
                        key = (m, k, n)
                        if key not in ref:
                            scal = [v for v in listed if v.endswith("__scalar")][0]
                            ref[key] = count(args.arch, cpu, root, args.plugin, exe,
                                             [family, scal, m, k, n, 1, args.mode])[1]
                        if s1 != ref[key]:
                            bad += 1
                            print("CHECKSUM MISMATCH %s %s %s" % (name, key, cpu), file=sys.stderr)
                    row.append("%.3f" % ((c2 - c1) / (r2 - r1) / (m * k * n)))
                print("| %s | %s | %s | %s |" % (family, name, cpu, " | ".join(row)), flush=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
