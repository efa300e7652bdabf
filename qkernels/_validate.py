"""Argument checks shared by every public function and operator.

Contract (DESIGN.md section 3): wrong dtype -> TypeError; wrong rank/shape,
bad sizes, bad scales or zero points -> ValueError; each message names the
argument and says what was expected.  Nothing here copies data unless needed.
"""
import math
import numbers
import struct
import sys
import threading

import numpy as np

from . import _ext

QDTYPES = {"int8": np.dtype(np.int8), "uint8": np.dtype(np.uint8)}
MAX_THREADS = int(_ext.MAX_THREADS)


def qdtype(name, dtype):
    """Normalize an int8/uint8 dtype argument (np.int8, "uint8", ...)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be int8 or uint8, got {dtype!r}") from None
    if dt not in (QDTYPES["int8"], QDTYPES["uint8"]):
        raise TypeError(f"{name} must be int8 or uint8, got {dt}")
    return dt


# ---------------------------------------------------------------------------
# Size limits (the "Limits" item).  Every buffer an operator reads,
# writes or allocates -- input copies, outputs, packed weights, indirection
# buffers, im2col and other temporaries -- is checked with `nbytes` BEFORE
# anything is allocated or copied, with Python ints (which cannot wrap, unlike
# numpy's fixed-width ints or C's size_t).  What the limits are and why:
#
# * One buffer holds at most sys.maxsize bytes (Py_ssize_t max: 2^63-1 on
#   64-bit, 2^31-1 on armv7).  numpy cannot index more, Cython memoryviews
#   carry Py_ssize_t extents, and the C drivers and kernels compute every
#   offset as a size_t product (row * stride, image * batch stride,
#   tile * tile bytes, entries * sizeof(void*)) that stays inside one buffer:
#   so bounding each buffer by sys.maxsize < SIZE_MAX bounds every such
#   product.  No kernel keeps a size or offset in a 32-bit int otherwise.
# * SparseConv1x1 stores its input increments as int32 BYTE offsets
#   (qkernels/spmm.h): the largest channel jump times H*W*4 must stay at most
#   2^31-1 (and Cin below 2^29: descriptor words hold columns << 2).
# * GlobalAvgPool2d accumulates H*W values in int32: H*W <= 2^23 keeps it exact.
POINTER_BYTES = struct.calcsize("P")
MAX_BYTES = sys.maxsize
INT32_MAX = 2**31 - 1


def _power_text(v):
    """2^k / 2^k-1 for those values, else the decimal number."""
    v = int(v)
    if v > 0 and v & (v - 1) == 0:
        return f"2^{v.bit_length() - 1}"
    if v > 0 and (v + 1) & v == 0:
        return f"2^{v.bit_length()}-1"
    return str(v)


BUFFER_LIMIT = (MAX_BYTES, f"{_power_text(MAX_BYTES)} byte limit of one buffer on this {8 * POINTER_BYTES}-bit "
                           f"platform (sys.maxsize: numpy arrays and the size_t offsets of the C drivers)")
SPMM_OFFSET_LIMIT = (INT32_MAX, "2^31-1 byte offset limit of the sparse kernels' int32 input increments")


def nbytes(name, what, shape, itemsize=1, limit=BUFFER_LIMIT):
    """Element count of a buffer of `shape` (a tuple or an int count) holding
    `itemsize`-byte items; ValueError naming `name` when its bytes exceed
    `limit` ((value, description), default: one buffer on this platform).
    Pure Python ints: nothing can wrap, nothing is allocated."""
    count = 1
    for s in (shape if isinstance(shape, (tuple, list)) else (shape,)):
        count *= int(s)
    total = count * int(itemsize)
    if total > limit[0]:
        shape_text = f" of shape {tuple(int(s) for s in shape)}" if isinstance(shape, (tuple, list)) else ""
        raise ValueError(f"{name}: {what}{shape_text} has {_power_text(count)} elements of {int(itemsize)} "
                         f"byte(s) = {_power_text(total)} bytes, which exceeds the {limit[1]}")
    return count


def dtype_range(dt):
    info = np.iinfo(dt)
    return int(info.min), int(info.max)


def array(name, x, dtypes, min_ndim=0, max_ndim=None, contiguous=True):
    """x as a C-contiguous ndarray of one of `dtypes` (no dtype conversion).

    contiguous=False validates only and returns x as given (any strides), so
    the caller can check every size the call implies (`nbytes`) before
    `contiguous_array(x)` copies a strided or broadcast input."""
    if not isinstance(x, np.ndarray):
        if isinstance(x, (list, tuple, numbers.Number)) or hasattr(x, "__array__"):
            x = np.asarray(x)
        else:
            raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    dtypes = [np.dtype(d) for d in (dtypes if isinstance(dtypes, (list, tuple)) else [dtypes])]
    if x.dtype not in dtypes:
        want = " or ".join(str(d) for d in dtypes)
        raise TypeError(f"{name} must have dtype {want}, got {x.dtype}")
    if x.ndim < min_ndim or (max_ndim is not None and x.ndim > max_ndim):
        want = f"{min_ndim}" if max_ndim == min_ndim else f"{min_ndim}..{max_ndim if max_ndim is not None else 'any'}"
        raise ValueError(f"{name} must have {want} dimensions, got shape {x.shape}")
    return contiguous_array(x) if contiguous else x


def contiguous_array(x):
    """x itself if C-contiguous, else a C-contiguous copy."""
    # No size check needed here: numpy caps every array, views included, at
    # sys.maxsize bytes, so the copy is no larger than the buffer limit.
    return x if x.flags.c_contiguous else np.array(x, order="C")  # keeps 0-d arrays 0-d


def scale(name, value, allow_vector=False):
    """A positive finite scale (float64), or a 1-D array of them if allowed."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a positive finite number, got {value!r}")
    if isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.ndim == 0):
        v = float(value)
        if not (math.isfinite(v) and v > 0.0):
            raise ValueError(f"{name} must be a positive finite number, got {v!r}")
        return v
    if not allow_vector:
        raise TypeError(f"{name} must be a positive finite number, got {type(value).__name__}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or a 1-D array of numbers") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(f"{name} must contain positive finite numbers only")
    return arr


def integer(name, value, lo=None, hi=None):
    if type(value) is int and (lo is None or value >= lo) and (hi is None or value <= hi):
        return value  # fast path: the isinstance checks against numbers.Integral cost ~1 us
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {v}")
    return v


def zero_point(name, value, dt):
    lo, hi = dtype_range(dt)
    return integer(name, value, lo, hi)


def clamp(output_min, output_max, dt, zp=None):
    """Quantized output clamp, defaulting to the dtype's range."""
    lo, hi = dtype_range(dt)
    qmin = lo if output_min is None else integer("output_min", output_min, lo, hi)
    qmax = hi if output_max is None else integer("output_max", output_max, lo, hi)
    if qmin > qmax:
        raise ValueError(f"output_min ({qmin}) must not exceed output_max ({qmax})")
    return qmin, qmax


def threads(value):
    """Per-call thread count: None -> global setting, else 1..MAX_THREADS."""
    if value is None:
        return int(_ext.get_num_threads())
    return integer("threads", value, 1, MAX_THREADS)


def out(value, shape, dt, inputs=(), name="x"):
    """A user-supplied output array: exact shape and dtype, C-contiguous, writable, not aliasing inputs.

    The result's size is checked first: a shape beyond the buffer limit
    raises ValueError naming `out` when given, else the input `name`."""
    nbytes("out" if value is not None else name, "the result", tuple(shape), np.dtype(dt).itemsize)
    if value is None:
        return np.empty(shape, dtype=dt)
    if not isinstance(value, np.ndarray):
        raise TypeError(f"out must be a numpy array, got {type(value).__name__}")
    if value.dtype != dt:
        raise TypeError(f"out must have dtype {dt}, got {value.dtype}")
    if tuple(value.shape) != tuple(shape):
        raise ValueError(f"out must have shape {tuple(shape)}, got {tuple(value.shape)}")
    if not value.flags.c_contiguous:
        raise ValueError("out must be C-contiguous")
    if not value.flags.writeable:
        raise ValueError("out must be writable")
    for x in inputs:
        if x is not None and np.shares_memory(value, x):
            raise ValueError("out must not share memory with the inputs")
    return value


# ---------------------------------------------------------------------------
# Repeat calls.  A full operator call validates its arguments, checks every
# size it implies (`nbytes`) and derives its geometry: ~3-6 us of Python, as
# much as the kernels of the small layers of an int8 network (a 7x7 1x1
# convolution, a residual add).  Everything it derives depends only on the
# input's shape, so after a call succeeds the operator stores, per input shape,
# the result's shape and a function running the kernel; a later input of
# exactly np.ndarray type, that shape, the operator's dtype and C-contiguous
# replays it.  What the full path would check of such an input has already
# passed; what can still differ is checked on every call: `threads` and `out`
# (same functions, same order, same errors as the full paths).  Any other input
# (another shape, dtype or type, a strided view) takes the full path.

_U8 = np.dtype(np.uint8)
CALL_CACHE_SIZE = 16  # input shapes per operator; a network layer sees one
_ONE = object()  # CallCache.call of a one-input operator (Add passes its b, even None)


def flat_bytes(a):
    """A C-contiguous int8/uint8 array as the flat uint8 view the _ext kernels take (a view, no copy)."""
    return a.ravel().view(_U8)


class CallCache:
    """An operator's calls by input shape: store(shape, result_shape, run) after a
    full call succeeded, call(x, out, threads[, b]) -> the result, or None when x
    (and b) must take the full path.  run(y, nthreads, x[, b]) gets flat byte views.

    Bounded (cleared when CALL_CACHE_SIZE shapes are stored), safe to share
    between threads (dict reads and writes are atomic; a lock serializes the
    clear-and-insert), never pickled (operators pickle their constructor
    arguments)."""

    __slots__ = ("dtype", "_plans", "_lock")

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self._plans = {}
        self._lock = threading.Lock()

    def __contains__(self, shape):
        return shape in self._plans

    def __len__(self):
        return len(self._plans)

    def store(self, shape, result_shape, run):
        if shape not in self._plans:
            with self._lock:
                if len(self._plans) >= CALL_CACHE_SIZE:
                    self._plans.clear()
                self._plans[shape] = (tuple(result_shape), run)

    def call(self, x, out_arg, threads_arg, b=_ONE):
        if type(x) is not np.ndarray:
            return None
        plan = self._plans.get(x.shape)
        dt = self.dtype
        if plan is None or x.dtype != dt or not x.flags.c_contiguous:
            return None
        if b is not _ONE and (type(b) is not np.ndarray or b.shape != x.shape or b.dtype != dt
                              or not b.flags.c_contiguous):
            return None
        shape, run = plan
        nthreads = threads(threads_arg)
        if out_arg is None:
            y = np.empty(shape, dtype=dt)
        else:
            y = out(out_arg, shape, dt, inputs=(x,) if b is _ONE else (x, b))
        if b is _ONE:
            run(y.ravel().view(_U8), nthreads, x.ravel().view(_U8))
        else:
            run(y.ravel().view(_U8), nthreads, x.ravel().view(_U8), b.ravel().view(_U8))
        return y
