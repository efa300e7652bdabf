"""Repeat calls of an operator on an input shape it has already run take a
cached path (qkernels._validate.CallCache).  check_repeat_calls runs one
operator through it and asserts that every call, valid or not, gives what the
full path of a fresh copy of the operator (unpickled: nothing cached) gives:
the same result bits or the same exception type and message."""
import concurrent.futures
import pickle

import numpy as np

from qkernels import _validate as V


class _Sub(np.ndarray):
    pass


def _outcome(f):
    try:
        return ("ok", f())
    except Exception as e:  # noqa: BLE001 - the exception itself is what is compared
        return (type(e), str(e))


def _strided(a):
    """A non-C-contiguous view with the values and shape of a."""
    wide = np.repeat(a[..., None], 2, axis=-1)
    v = wide[..., 0]
    assert v.shape == a.shape and (a.size < 2 or not v.flags.c_contiguous)
    return v


def _other(dt):
    return np.dtype(np.uint8) if np.dtype(dt) == np.int8 else np.dtype(np.int8)


def check_repeat_calls(op, inputs, other_shapes, rng):
    """op: an operator; inputs: a tuple of C-contiguous arrays (x, or a and b)
    it accepts; other_shapes: tuples of inputs of other shapes (to fill the
    bounded cache).  Asserts results and errors against fresh copies."""
    blob = pickle.dumps(op)

    def fresh():
        return pickle.loads(blob)

    def same(call, expect_ok=None):
        got = _outcome(lambda: call(op))
        want = _outcome(lambda: call(fresh()))
        if want[0] == "ok":
            assert got[0] == "ok", got
            assert got[1].dtype == want[1].dtype and got[1].shape == want[1].shape
            np.testing.assert_array_equal(got[1], want[1])
        else:
            assert got == want
        if expect_ok is not None:
            assert (got[0] == "ok") == expect_ok, got
        return got

    x = inputs[0]
    dt = x.dtype
    assert len(fresh()._calls) == 0
    want = fresh()(*inputs)
    for _ in range(3):
        np.testing.assert_array_equal(op(*inputs), want)
    assert x.shape in op._calls, "a call on a C-contiguous array stores its shape"
    # other data of the same shape, with and without threads
    new = tuple(rng.integers(-128, 128, a.shape).astype(a.dtype) for a in inputs)
    same(lambda o: o(*new), True)
    same(lambda o: o(*new, threads=2), True)
    # each input position: a strided copy, a read-only one, a subclass, a list, the wrong dtype
    for i in range(len(inputs)):
        def put(v, i=i):
            return inputs[:i] + (v,) + inputs[i + 1:]
        same(lambda o: o(*put(_strided(inputs[i]))), True)
        ro = inputs[i].copy()
        ro.flags.writeable = False
        same(lambda o: o(*put(ro)), True)
        same(lambda o: o(*put(inputs[i].view(_Sub))), True)
        same(lambda o: o(*put(inputs[i].tolist())), False)  # int64 from a list: dtype error
        same(lambda o: o(*put(inputs[i].view(_other(dt)))), False)
        same(lambda o: o(*put(inputs[i].astype(np.int32))), False)
        same(lambda o: o(*put(inputs[i][None])))  # another rank: what the full path says
        if inputs[i].ndim > 1:
            same(lambda o: o(*put(inputs[i][..., :-1])))  # fewer channels: what the full path says
    if len(inputs) == 2:  # a second operand that is no array at all
        same(lambda o: o(inputs[0], None), False)
        same(lambda o: o(inputs[0], 3), False)
    # threads
    for t in (1, 2, None, 0, -1, V.MAX_THREADS + 1, 1.5, "1", True, np.int64(2)):
        same(lambda o, t=t: o(*inputs, threads=t))
    # out=
    out = np.empty_like(want)
    assert op(*inputs, out=out) is out
    np.testing.assert_array_equal(out, want)
    outs = [np.empty(want.shape + (1,), dt), np.empty(want.shape, _other(dt)), np.empty(want.shape, np.int32),
            want.tolist(), _strided(np.empty_like(want))]
    ro = np.empty_like(want)
    ro.flags.writeable = False
    outs.append(ro)
    for i, a in enumerate(inputs):  # out sharing memory with an input (both C-contiguous)
        buf = np.empty(max(a.size, want.size), dt)
        alias = buf[:a.size].reshape(a.shape)
        alias[...] = a
        outs.append((i, alias, buf[:want.size].reshape(want.shape)))
    for o_ in outs:
        if isinstance(o_, tuple):
            i, alias, bad = o_
            args = inputs[:i] + (alias,) + inputs[i + 1:]
        else:
            args, bad = inputs, o_
        same(lambda o: o(*args, out=bad), False)
        same(lambda o: o(*args, out=bad, threads=0), False)  # which check comes first
    same(lambda o: o(*inputs, out=np.empty_like(want), threads=0), False)
    # after all that, the cached path still computes the right thing
    np.testing.assert_array_equal(op(*inputs), want)
    # several Python threads on the cached path at once
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        for y in ex.map(lambda _: op(*inputs, threads=2), range(32)):
            np.testing.assert_array_equal(y, want)
    # the cache is bounded; the shapes in it keep working
    for other in other_shapes:
        np.testing.assert_array_equal(op(*other), fresh()(*other))
    assert 0 < len(op._calls) <= V.CALL_CACHE_SIZE
    np.testing.assert_array_equal(op(*inputs), want)
    # pickling a used operator: the cache is not part of it
    again = pickle.loads(pickle.dumps(op))
    assert len(again._calls) == 0
    np.testing.assert_array_equal(again(*inputs), want)
