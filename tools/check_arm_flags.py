#!/usr/bin/env python3
"""Compile the Arm files that hold inline assembly under the flags users build with.

    check_arm_flags.py [--arch aarch64,armv7] [--cc gcc,clang] [--jobs 2]

Our aarch64 and armv7 kernels use inline asm with many register operands.
Whether a compiler can allocate them depends on the flags a user's Python
passes to extensions, not on ours alone: -O0 (debug builds), a frame pointer
(distributions that build with -fno-omit-frame-pointer pass it on through
sysconfig's CFLAGS), -Os, -O3.  GCC answers "impossible constraints" where
registers run out; that would be a failed `pip install`.  This script
compiles every file of qk_build.plan(arch) that contains asm (directly or
through the kernel headers that do) with each compiler (the GNU cross gcc,
clang --target) and each flag set below, with the ISA flags and defines of
the package build, and fails if any compile fails.  About a minute.
"""
import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
import qk_build  # noqa: E402

TRIPLET = {"aarch64": "aarch64-linux-gnu", "armv7": "arm-linux-gnueabihf"}
FLAG_SETS = [["-O0"], ["-O0", "-g", "-fno-omit-frame-pointer"], ["-O1"], ["-O2", "-fno-omit-frame-pointer"],
             ["-Os"], ["-O3"]]
# files whose text holds asm, or that include a header that does
ASM_MARKERS = ("__asm__", "gemm-c16-neon.inc", "gemm-neon.h", "gemm-4x8-neon.h", "dwconv-mul8-neon.h")


def jobs(arches, compilers):
    out = []
    for arch in arches:
        sources, defines = qk_build.plan(arch, root=REPO)
        for src, isa_flags in sources:
            with open(os.path.join(REPO, src)) as f:
                text = f.read()
            if not any(m in text for m in ASM_MARKERS):
                continue
            for cc in compilers:
                ccv = [TRIPLET[arch] + "-gcc"] if cc == "gcc" else ["clang", "--target=" + TRIPLET[arch]]
                for flags in FLAG_SETS:
                    cmd = (ccv + ["-fPIC", "-std=c11", "-fno-strict-aliasing", "-I", "csrc/include"]
                           + ["-D" + d for d in defines] + isa_flags + flags + ["-c", src, "-o", os.devnull])
                    out.append((f"{arch} {cc} {' '.join(flags)}: {src}", cmd))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="aarch64,armv7")
    ap.add_argument("--cc", default="gcc,clang")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    arches, compilers = args.arch.split(","), args.cc.split(",")
    for a in arches:
        if a not in TRIPLET:
            sys.exit(f"check_arm_flags: unknown arch {a!r} (aarch64, armv7)")
    todo = jobs(arches, compilers)

    def run(job):
        label, cmd = job
        try:
            r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        except FileNotFoundError as e:
            return label, f"compiler missing: {e}"
        return label, None if r.returncode == 0 else "\n".join(r.stderr.strip().splitlines()[-6:])

    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run, todo))
    failed = [(label, err) for label, err in results if err]
    for label, err in failed:
        print(f"FAIL {label}\n{err}\n")
    print(f"check_arm_flags: {len(todo)} compiles ({', '.join(arches)} x {', '.join(compilers)} x "
          f"{len(FLAG_SETS)} flag sets), {len(failed)} failed")
    sys.exit(1 if failed or not todo else 0)


if __name__ == "__main__":
    main()
