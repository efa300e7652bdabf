"""The compiled extension does not depend on numpy (DESIGN section 1).

The bindings use typed memoryviews (the buffer protocol), never the numpy C
API, so numpy is not a build requirement and one wheel works with numpy 1.x
and 2.x: the extension carries no numpy ABI.  These tests check both halves:
the binary holds none of the names the numpy C API is reached through, and
the extension loads and computes with numpy made unimportable.
"""
import os
import subprocess
import sys

from qkernels import _ext

HERE = os.path.dirname(os.path.abspath(__file__))

# What a module using the numpy C API contains: the capsule it imports
# (numpy.core.multiarray._ARRAY_API / numpy._core._multiarray_umath), the
# import helper, and PyArray_* names in Cython's generated code.
NUMPY_C_API_MARKERS = [b"_ARRAY_API", b"_import_array", b"PyArray_", b"numpy.core.multiarray",
                       b"numpy._core.multiarray", b"_multiarray_umath", b"__pyx_t_5numpy"]


def test_binary_has_no_numpy_c_api():
    with open(_ext.__file__, "rb") as f:
        blob = f.read()
    found = [m.decode() for m in NUMPY_C_API_MARKERS if m in blob]
    assert found == [], "%s references the numpy C API: %s" % (_ext.__file__, found)


def test_extension_runs_with_numpy_unimportable():
    code = ("import sys, runpy; sys.modules['numpy'] = None; "
            "runpy.run_path(%r, run_name='__main__')" % os.path.join(HERE, "smoke_ext.py"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=HERE)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "families ok, numpy blocked" in r.stdout, r.stdout
