"""Guard pages: place an array flush against a PROT_NONE page.

`guarded(arr, "after")` returns a copy of `arr` whose last byte is the last
byte before an inaccessible page; `"before"` puts its first byte right after
one.  A kernel that reads or writes one byte outside the array then faults.
Guarded sweeps run in a child process (`run_cases`) that names each case on
stderr before running it, so a fault fails the test with the case that
caused it instead of killing pytest.
"""
import ctypes
import ctypes.util
import mmap
import os
import subprocess
import sys

import numpy as np

PAGE = mmap.PAGESIZE
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_keep = []  # mappings must outlive the arrays that view them


def guarded(arr, side="after"):
    arr = np.asarray(arr)
    nbytes = arr.nbytes
    pages = (nbytes + PAGE - 1) // PAGE + 2
    m = mmap.mmap(-1, pages * PAGE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(m))
    for page in (0, pages - 1):
        if _libc.mprotect(ctypes.c_void_p(base + page * PAGE), PAGE, 0) != 0:
            raise OSError(ctypes.get_errno(), "mprotect failed")
    offset = (pages - 1) * PAGE - nbytes if side == "after" else PAGE
    view = np.frombuffer(m, dtype=np.uint8, count=nbytes, offset=offset)
    out = view.view(arr.dtype).reshape(arr.shape) if nbytes else np.empty(arr.shape, arr.dtype)
    out[...] = arr
    _keep.append(m)
    return out


def case(label):
    """Name the case about to run (read back by run_cases on a crash)."""
    sys.stderr.write("CASE " + label + "\n")
    sys.stderr.flush()


def run_cases(module, function, timeout=600):
    """Run tests/<module>.<function>() in a child; fail with the last case on a crash."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = f"import sys; sys.path.insert(0, {here!r}); import {module}; {module}.{function}(); print('DONE')"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=here)
    cases = [line for line in r.stderr.splitlines() if line.startswith("CASE ")]
    if r.returncode != 0 or "DONE" not in r.stdout:
        last = cases[-1] if cases else "(before the first case)"
        tail = "\n".join(line for line in r.stderr.splitlines() if not line.startswith("CASE "))[-3000:]
        raise AssertionError(f"guarded run failed (exit {r.returncode}) at {last}\n{tail}")
    return len(cases)
