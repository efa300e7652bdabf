"""No kernel reads or writes outside its buffers: guard-page sweeps.

The sweeps themselves live in guard_cases.py and run in a child process so a
fault reports the case that caused it (see guard.py)."""
import numpy as np
import pytest

from guard import guarded, run_cases


def test_guard_helper_really_faults():
    """The guard must turn a one-byte overrun into a crash, or the sweeps prove nothing."""
    import subprocess, sys, os
    code = ("import numpy as np, ctypes; from guard import guarded; a = guarded(np.arange(10, dtype=np.uint8));"
            "print(ctypes.string_at(a.ctypes.data, 10) == bytes(range(10)), flush=True);"
            "ctypes.string_at(a.ctypes.data, 11)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=os.path.dirname(os.path.abspath(__file__)))
    assert r.stdout.strip() == "True"
    assert r.returncode != 0  # killed by SIGSEGV reading byte 11


@pytest.mark.parametrize("side", ["after", "before"])
def test_guarded_copy_is_equal_and_placed(side):
    a = np.arange(1000, dtype=np.int32)
    g = guarded(a, side)
    np.testing.assert_array_equal(g, a)
    from guard import PAGE
    addr = g.ctypes.data
    if side == "after":
        assert (addr + g.nbytes) % PAGE == 0
    else:
        assert addr % PAGE == 0


def test_requant_kernels_stay_in_bounds():
    assert run_cases("guard_cases", "requant") > 100


def test_glue_kernels_stay_in_bounds():
    assert run_cases("guard_cases", "glue") > 500
