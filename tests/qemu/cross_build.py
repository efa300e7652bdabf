#!/usr/bin/env python3
"""Cross-compile qkernels._ext for an Arm guest, to be run under qemu-user.

    cross_build.py --arch aarch64|armv7 --sysroot ROOT --out DIR

Produces DIR/qkernels/ = the pure-Python package + _ext<EXT_SUFFIX>, so that
PYTHONPATH=DIR in the guest imports the cross-built package.  Which C files
exist and which flags each ISA needs comes from qk_build.py, the one table
setup.py also uses; this script only adds the cross toolchain and the target's
Python headers (from the Debian root made by setup_root.sh).

Incremental: each object is rebuilt only when its command line changed or a
file it includes (gcc -MMD dependency list) is newer than the object.
"""
import argparse
import ast
import glob
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

REPO = os.environ.get("QKERNELS_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
import qk_build  # noqa: E402

TRIPLET = {"aarch64": "aarch64-linux-gnu", "armv7": "arm-linux-gnueabihf"}
PYVER = "3.11"  # bookworm's python3, and the host's


def ext_suffix(root, triplet):
    """EXT_SUFFIX of the guest python, read from its _sysconfigdata file."""
    for path in glob.glob(os.path.join(root, "usr/lib/python%s/_sysconfigdata_*%s.py" % (PYVER, triplet))):
        tree = ast.parse(open(path).read())
        for node in tree.body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "build_time_vars":
                return ast.literal_eval(node.value)["EXT_SUFFIX"]
    return ".cpython-%s-%s.so" % (PYVER.replace(".", ""), triplet)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def deps_newer_than(dep_file, obj):
    """True if any dependency listed in a gcc .d file is newer than obj (or gone)."""
    text = read(dep_file)
    if text is None:
        return True
    text = text.replace("\\\n", " ")
    obj_mtime = os.path.getmtime(obj)
    for dep in text.split(":", 1)[1].split():
        dep = os.path.join(REPO, dep)  # gcc ran in REPO; absolute paths pass through
        if not os.path.exists(dep) or os.path.getmtime(dep) > obj_mtime:
            return True
    return False


def compile_one(cmd, obj):
    """Run cmd (producing obj, obj.d) unless obj is up to date. Returns (obj, rebuilt, error)."""
    cmd_file = obj + ".cmd"
    line = "\0".join(cmd)
    if os.path.exists(obj) and read(cmd_file) == line and not deps_newer_than(obj + ".d", obj):
        return obj, False, None
    if os.path.exists(cmd_file):
        os.remove(cmd_file)  # an interrupted/failed compile must not look up to date
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if res.returncode != 0:
        return obj, True, "$ %s\n%s%s" % (" ".join(cmd), res.stdout, res.stderr)
    with open(cmd_file, "w") as f:
        f.write(line)
    if res.stderr.strip():  # keep warnings visible
        sys.stderr.write(res.stderr)
    return obj, True, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", required=True, choices=sorted(TRIPLET))
    ap.add_argument("--sysroot", required=True, help="guest root made by setup_root.sh")
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cc", choices=("gcc", "clang"), default="gcc",
                    help="cross compiler: the GNU cross gcc, or clang --target (Termux and Apple build with clang)")
    args = ap.parse_args()
    root, out = os.path.abspath(args.sysroot), os.path.abspath(args.out)
    triplet = TRIPLET[args.arch]
    cc = [triplet + "-gcc"] if args.cc == "gcc" else ["clang", "--target=" + triplet]
    build = os.path.join(out, "build")
    os.makedirs(build, exist_ok=True)
    # Keep the whole output dir out of git without touching the repo's .gitignore.
    with open(os.path.join(out, ".gitignore"), "w") as f:
        f.write("*\n")

    # 1. Cython on the host (its output is target-independent C).
    pyx = os.path.join("src", "_ext.pyx")
    ext_c = os.path.join(build, "_ext.c")
    cy_inputs = glob.glob(os.path.join(REPO, "src", "*.p[yx][xid]"))
    if not os.path.exists(ext_c) or max(map(os.path.getmtime, cy_inputs)) > os.path.getmtime(ext_c):
        print("[cross_build] cython %s" % pyx, flush=True)
        if subprocess.run([sys.executable, "-m", "cython", "-3", "-I", "src", "--module-name", "qkernels._ext",
                           pyx, "-o", ext_c], cwd=REPO).returncode != 0:
            sys.exit("[cross_build] cython failed")

    # 2. Compile every file of the plan, each with its ISA's flags.
    sources, defines = qk_build.plan(args.arch, root=REPO)
    common = ["-fPIC", "-O2"] + qk_build.BASE_CFLAGS + ["-D" + d for d in defines] + [
        "-I", os.path.join(REPO, "csrc", "include"),
        "-I", os.path.join(root, "usr/include/python" + PYVER),
        "-I", os.path.join(root, "usr/include", triplet, "python" + PYVER),
        # Debian's Python.h includes <TRIPLET/python3.11/pyconfig.h>; searched
        # after the cross toolchain's own libc headers.
        "-idirafter", os.path.join(root, "usr/include"),
    ]
    numpy_inc = os.path.join(root, "usr/lib/python3/dist-packages/numpy/core/include")
    if os.path.isdir(numpy_inc):  # harmless if _ext.pyx does not cimport numpy
        common += ["-I", numpy_inc]
    jobs = [(ext_c, [])] + [(os.path.join(REPO, src), extra) for src, extra in sources]
    cmds = []
    for src, extra in jobs:
        rel = os.path.relpath(src, REPO) if not src.startswith(build) else os.path.basename(src)
        obj = os.path.join(build, "obj", rel.replace(os.sep, "__") + ".o")
        os.makedirs(os.path.dirname(obj), exist_ok=True)
        cmds.append((cc + common + extra + ["-MMD", "-MF", obj + ".d", "-c", src, "-o", obj], obj))
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda c: compile_one(*c), cmds))
    errors = [err for _, _, err in results if err]
    if errors:
        sys.exit("[cross_build] compilation failed:\n" + "\n".join(errors))
    rebuilt = sum(r for _, r, _ in results)
    print("[cross_build] %s: %d objects, %d rebuilt (%s)" % (args.arch, len(results), rebuilt,
                                                            " ".join(defines) or "no ISA defines"), flush=True)

    # 3. Link, then lay out DIR/qkernels = sources of the package + the module.
    so = os.path.join(build, "_ext" + ext_suffix(root, triplet))
    link = cc + ["-shared", "-o", so] + [obj for obj, _, _ in results] + ["-lpthread"]  # as setup.py
    if rebuilt or not os.path.exists(so) or read(so + ".cmd") != "\0".join(link):
        subprocess.run(link, check=True)
        with open(so + ".cmd", "w") as f:
            f.write("\0".join(link))
    pkg = os.path.join(out, "qkernels")
    shutil.rmtree(pkg, ignore_errors=True)  # drop files deleted from the repo
    shutil.copytree(os.path.join(REPO, "qkernels"), pkg,
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"))
    shutil.copy2(so, pkg)
    print("[cross_build] %s" % os.path.join(pkg, os.path.basename(so)), flush=True)


if __name__ == "__main__":
    main()
