"""Thread pool: thread counts, concurrent callers, fork safety."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import qkernels as qk
from qkernels import reference
from conftest import UNDER_QEMU, scaled


def test_set_get_num_threads():
    old = qk.get_num_threads()
    try:
        qk.set_num_threads(3)
        assert qk.get_num_threads() == 3
        assert qk.cpu_info()["num_threads"] == 3
    finally:
        qk.set_num_threads(old)
    for bad, exc in ((0, ValueError), (-2, ValueError), (10**9, ValueError), (1.5, TypeError), ("4", TypeError)):
        with pytest.raises(exc, match="n"):
            qk.set_num_threads(bad)


def test_default_is_available_cpus():
    code = "import qkernels as qk; i = qk.cpu_info(); print(i['num_threads'] == i['available_cpus'])"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=os.path.dirname(__file__))
    assert r.stdout.strip() == "True", r.stderr


def test_concurrent_callers_get_correct_results(rng):
    n = scaled(300_000, 40_000)
    inputs = [rng.integers(-(2**20), 2**20, size=n).astype(np.int32) for _ in range(4)]
    wants = [reference.requantize(a, 0.001 * (i + 1), i, "int8") for i, a in enumerate(inputs)]
    errors = []

    def work(i):
        try:
            for rep in range(scaled(6, 2)):
                got = qk.requantize(inputs[i], 0.001 * (i + 1), i, "int8", threads=1 + (i + rep) % 3)
                if not np.array_equal(got, wants[i]):
                    errors.append(f"thread {i} rep {rep}: wrong result")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []


def test_more_threads_than_tiles_and_cpus(rng):
    acc = rng.integers(-1000, 1000, size=5).astype(np.int32)
    np.testing.assert_array_equal(qk.requantize(acc, 0.1, 0, "int8", threads=64),
                                  reference.requantize(acc, 0.1, 0, "int8"))
    big = rng.integers(-1000, 1000, size=scaled(100_000, 20_000)).astype(np.int32)
    np.testing.assert_array_equal(qk.requantize(big, 0.1, 0, "int8", threads=16),
                                  reference.requantize(big, 0.1, 0, "int8"))


def test_many_short_jobs_back_to_back(rng):
    """Job after job with varying thread counts, from 3 Python threads at once:
    workers woken for one job that join late must never run (or corrupt) the
    next one -- the caller waits only for the workers that joined its job."""
    n = 4 * 16384  # 4 tiles of csrc/ops/requant.c, so several threads take part
    inputs = [rng.integers(-(2**20), 2**20, size=n).astype(np.int32) for _ in range(3)]
    wants = [reference.requantize(a, 0.01, 0, "int8") for a in inputs]
    errors = []

    def caller(i):
        try:
            for k in range(scaled(600, 60)):
                got = qk.requantize(inputs[i], 0.01, 0, "int8", threads=2 + (k + i) % 7)
                if not np.array_equal(got, wants[i]):
                    errors.append((i, k))
                    return
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    caller(0)  # and the main thread too
    for t in threads:
        t.join()
    assert not errors, errors[:5]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")
@pytest.mark.skipif(UNDER_QEMU, reason="qemu-user 7.2 aborts any forked child of a multi-threaded process that "
                    "starts a thread (assertion cpu == current_cpu), reproduced without qkernels; covered natively")
def test_fork_after_pool_started():
    code = r"""
import os, numpy as np, qkernels as qk
from qkernels import _ext
acc = np.arange(-50000, 50000, dtype=np.int32)
want = qk.requantize(acc, 0.01, 0, "int8", threads=3)
assert _ext.pool_workers() >= 2
pid = os.fork()
if pid == 0:
    ok = _ext.pool_workers() == 0 and np.array_equal(qk.requantize(acc, 0.01, 0, "int8", threads=3), want)
    ok = ok and _ext.pool_workers() >= 2
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(status))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=os.path.dirname(__file__))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "child 0"
