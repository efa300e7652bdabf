"""Concurrency across operator families (issue 7): several Python threads
calling the same and different operator objects with different thread
counts, set_num_threads changed while calls run, and operators pickled here
and unpickled in another process.  Every result must equal a sequential run."""
import os
import pickle
import subprocess
import sys
import threading

import numpy as np

import qkernels as qk
from conftest import scaled

Q = dict(input_scale=0.05, input_zero_point=3, weight_scale=0.01, output_scale=0.1, output_zero_point=-2)


def _operators(rng):
    """(name, operator, input) for one operator of each family."""
    i8 = lambda *s: rng.integers(-128, 128, size=s).astype(np.int8)  # noqa: E731
    sparse_w = rng.standard_normal((24, 16)).astype(np.float32) * (rng.random((24, 16)) > 0.8)
    return [
        ("linear", qk.Linear(i8(24, 40), **Q), i8(7, 40)),
        ("conv", qk.Conv2d(i8(16, 3, 3, 8), stride=2, padding=1, **Q), i8(1, 9, 11, 8)),
        ("stem", qk.Conv2d(i8(8, 3, 3, 3), stride=2, padding="same", **Q), i8(12, 12, 3)),
        ("dwconv", qk.DepthwiseConv2d(i8(3, 3, 20), padding=1, **Q), i8(1, 8, 9, 20)),
        ("sparse", qk.SparseConv1x1(sparse_w, mode="sparse"), rng.standard_normal((16, 6, 7)).astype(np.float32)),
        ("chw_dw", qk.chw.DepthwiseConv2d(rng.standard_normal((16, 3, 3)).astype(np.float32)),
         rng.standard_normal((16, 10, 9)).astype(np.float32)),
    ]


def test_threads_share_and_mix_operators(rng):
    ops = _operators(rng)
    want = {name: op(x, threads=1) for name, op, x in ops}
    errors = []
    rounds = scaled(20, 4)

    def worker(k):
        try:
            for r in range(rounds):
                name, op, x = ops[(k + r) % len(ops)]
                got = op(x, threads=1 + (k + r) % 3)
                if not np.array_equal(got, want[name]):
                    errors.append(f"worker {k} round {r}: {name} differs")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"worker {k}: {e!r}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_set_num_threads_while_calls_run(rng):
    ops = _operators(rng)
    want = {name: op(x, threads=1) for name, op, x in ops}
    old = qk.get_num_threads()
    stop = threading.Event()
    errors = []

    def toggler():
        n = 0
        while not stop.is_set():
            qk.set_num_threads(1 + n % 4)
            n += 1

    def caller():
        try:
            for _ in range(scaled(10, 2)):
                for name, op, x in ops:
                    if not np.array_equal(op(x), want[name]):  # global thread count, changing under us
                        errors.append(f"{name} differs")
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    t = threading.Thread(target=toggler)
    callers = [threading.Thread(target=caller) for _ in range(2)]
    t.start()
    for c in callers:
        c.start()
    for c in callers:
        c.join()
    stop.set()
    t.join()
    qk.set_num_threads(old)
    assert errors == []


def test_pickled_operators_work_in_another_process(rng, tmp_path):
    ops = _operators(rng)
    path = tmp_path / "ops.pkl"
    with open(path, "wb") as f:
        pickle.dump([(name, op, x) for name, op, x in ops], f)
    code = (
        "import pickle, sys, numpy as np\n"
        f"ops = pickle.load(open({str(path)!r}, 'rb'))\n"
        f"np.savez({str(tmp_path / 'out.npz')!r}, **{{name: op(x, threads=2) for name, op, x in ops}})\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                       cwd=os.path.dirname(os.path.abspath(__file__)))
    assert r.returncode == 0, r.stderr[-2000:]
    got = np.load(tmp_path / "out.npz")
    for name, op, x in ops:
        np.testing.assert_array_equal(got[name], op(x, threads=1), err_msg=name)
