"""Smoke test of the installed qkernels._ext that needs no numpy.

    python -m tests.smoke_ext        (or: python tests/smoke_ext.py)

The bindings take buffers through the buffer protocol (typed memoryviews),
not the numpy C API, so the compiled extension loads and runs without numpy
at all.  This script proves it: it loads ``qkernels/_ext*`` straight from the
installed package directory (without running ``qkernels/__init__.py``, which
imports numpy for the operator API), detects the CPU, and runs every usable
variant of every requantization family on ``array.array`` buffers, checking
each against the scalar variant and the fp32 ones against a pure-Python
reference.  It is the test cibuildwheel runs for Android wheels (PyPI has no
numpy for Android), and tests/test_no_numpy.py runs it with numpy blocked.
Exit status 0 on success; prints one line per family.
"""
import array
import glob
import importlib.machinery
import importlib.util
import os
import struct
import sys


def load_ext():
    spec = importlib.util.find_spec("qkernels")  # locates the package, does not import it
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("qkernels is not installed")
    pkg_dir = list(spec.submodule_search_locations)[0]
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    paths = [p for p in glob.glob(os.path.join(pkg_dir, "_ext*")) if p.endswith(suffixes)]
    if not paths:
        raise SystemExit("no compiled qkernels._ext in %s" % pkg_dir)
    ext_spec = importlib.util.spec_from_file_location("qkernels._ext", paths[0])
    ext = importlib.util.module_from_spec(ext_spec)
    ext_spec.loader.exec_module(ext)
    return ext, paths[0]


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def ref_fp32(acc, scale, zp, qmin, qmax):
    """clamp(rint(float32(acc) * float32(scale)) + zp), the contract's fp32 path."""
    s = f32(scale)
    # round() is round-half-even, like rint in the default rounding mode.
    return [min(max(int(round(f32(f32(a) * s))) + zp, qmin), qmax) for a in acc]


def main():
    ext, path = load_ext()
    assert "numpy" not in sys.modules or sys.modules["numpy"] is None, "loading _ext imported numpy"
    ext.init()
    print("qkernels._ext from %s: arch=%s features=%s" % (path, ext.arch(), ext.features()))
    # Values that hit rounding ties, saturation and the int32 extremes.
    acc = array.array("i", [0, 1, -1, 2, -2, 3, 127, -128, 255, 1000, -1000, 12345, -54321,
                            2**31 - 1, -2**31, 7, -7, 64, -64, 99, 100, 101, 50, -50] * 3 + [5, 6, 7])
    checked = 0
    for family in ext.families():
        if "requant" not in family:
            continue
        signed = family.startswith("qs8")
        qmin, qmax, zp = (-128, 127, -3) if signed else (0, 255, 120)
        fmt = "b" if signed else "B"
        outputs = {}
        for name in ext.variants(family):
            out = array.array("B", bytes(len(acc)))
            if "fp32" in family:
                ext.requant_fp32(family, acc, out, 0.0625, zp, qmin, qmax, 2, variant=name)
            else:
                ext.requant_gemmlowp(family, acc, out, 1 << 30, 5, zp, qmin, qmax, 2, variant=name)
            outputs[name] = array.array(fmt, out.tobytes()).tolist()
        scalar = [n for n in outputs if n.endswith("__scalar")]
        assert scalar, "no scalar variant of %s" % family
        for name, got in outputs.items():
            assert got == outputs[scalar[0]], "%s differs from %s" % (name, scalar[0])
        if "fp32" in family:
            assert outputs[scalar[0]] == ref_fp32(acc, 0.0625, zp, qmin, qmax), family
        checked += 1
        print("%-24s ok: %s" % (family, ", ".join(outputs)))
    assert checked > 0, "no requantization family found"
    print("smoke_ext: %d families ok, numpy %s" % (checked, "not imported" if "numpy" not in sys.modules else "blocked"))


if __name__ == "__main__":
    main()
