"""qk.SparseConv1x1: sparse fp32 1x1 convolution on CHW activations."""
import math
import numbers
import threading

import numpy as np

from . import _ext, _validate as V

try:  # optional: scipy.sparse weights are accepted when scipy is installed
    import scipy.sparse as _sp
except ImportError:  # pragma: no cover - depends on the environment
    _sp = None

# Sparsity (fraction of zero weights) from which mode="auto" uses the sparse
# kernels instead of numpy's BLAS.  MEASURED, see the class docstring and
# bench/spmm.py --crossover.
SPARSE_CROSSOVER = 0.7

# Largest channel group the packer may form (every kernel variant reads groups up to 4).
_MAX_GROUP = 4
# Image sizes (H*W) whose byte increments are cached per operator.
_MAX_CACHED_SIZES = 16


def _is_scipy_sparse(w):
    return _sp is not None and _sp.issparse(w)


def _dense_weight(weight):
    """weight (ndarray or scipy.sparse) -> float32 C-contiguous [Cout, Cin] copy."""
    if _is_scipy_sparse(weight):
        if weight.dtype != np.float32:
            raise TypeError(f"weight must have dtype float32, got {weight.dtype}")
        if weight.ndim != 2:
            raise ValueError(f"weight must have 2 dimensions [Cout, Cin], got shape {weight.shape}")
        _check_weight_sizes(weight.shape)
        w = np.asarray(weight.toarray(), dtype=np.float32, order="C")  # sums duplicates, drops nothing else
    else:
        if not isinstance(weight, np.ndarray):
            raise TypeError(f"weight must be a numpy array or a scipy.sparse matrix, got {type(weight).__name__}")
        w = V.array("weight", weight, np.float32, 2, 2, contiguous=False)
        _check_weight_sizes(w.shape)
        w = np.array(w, dtype=np.float32, order="C", copy=True)  # private: later edits by the caller do not leak in
    return w


def _check_weight_sizes(shape):
    """Before the dense copy and the packing: the shape is usable and both fit one buffer."""
    cout, cin = (int(s) for s in shape)
    if cout == 0 or cin == 0:
        raise ValueError(f"weight must have Cout >= 1 and Cin >= 1, got shape {tuple(shape)}")
    if cin >= 2**29:  # descriptor words hold a group's columns << 2 in 32 bits (qkernels/spmm.h)
        raise ValueError(f"weight must have Cin below 2**29, got {cin}")
    V.nbytes("weight", "the dense float32 copy", (cout, cin), 4)
    # values hold a bias per channel plus at most one float per (channel, column)
    V.nbytes("weight", "the packed values (at most Cout*(Cin+1) floats)", cout * (cin + 1), 4)


def _bound(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    return float(np.float32(v))  # the kernels clamp in float32


class SparseConv1x1:
    """1x1 convolution with sparse float32 weights on CHW activations.

        op = qk.SparseConv1x1(weight, bias=None, output_min=-inf, output_max=inf, mode="auto")
        y = op(x, out=None, threads=None)

    weight: float32 [Cout, Cin], a dense array whose zeros are skipped, or a
    scipy.sparse matrix (when scipy is installed).  bias: float32 [Cout] or
    None.  x: float32 [Cin, H, W] or [N, Cin, H, W] (any strides) ->
    y: float32 [Cout, H, W] / [N, Cout, H, W],
    y[co] = clamp(bias[co] + sum_ci weight[co, ci] * x[ci], output_min, output_max)
    accumulated in float32 (within 1e-5 relative of qkernels.reference.sparse_conv1x1).

    The weights are packed once, here (XNNPACK f32-spmm format: per output
    channel, or group of 2/4 channels with similar patterns, its bias, its
    nonzero weights and the input-channel increments; see
    csrc/include/qkernels/spmm.h).  Zero weights are skipped entirely, so with
    non-finite inputs a zero weight contributes nothing (a dense product would
    give 0 * inf = NaN).

    mode: "sparse" always runs the sparse kernels; "dense" runs numpy's BLAS
    matmul on the dense weight (threading then follows the BLAS library, not
    `threads`); "auto" (default) picks sparse when `sparsity` >=
    SPARSE_CROSSOVER = 0.7.  Measured on the development machine (x86-64,
    AMD EPYC Zen 4, f32_spmm_ukernel_32x4__avx2 vs numpy 2.4's OpenBLAS
    sgemm, one thread, the five MobileNet v2 1x1 layers,
    `python bench/spmm.py --crossover`, random sparsity): sparse/dense time
    at 60% / 65% / 70% sparsity was 0.48-1.25 / 0.43-1.11 / 0.39-0.92; from
    70% the sparse path wins on every layer, below 65% it loses on the 7x7
    and 14x14 layers (320x960x49, 96x576x196).  A 24-deep K (144x24x3136)
    favours it even with dense weights (0.75-0.84 at 0%).  On other machines
    (Arm boards, other BLAS builds) the best threshold can differ: pass
    mode="sparse" or "dense" to decide yourself.

    Operators are immutable, picklable and may be called from several Python
    threads at once (the work runs with the GIL released).
    Properties: nnz (nonzero weights), sparsity (zero fraction), in_channels,
    out_channels, mode, path ("sparse" or "dense": what calls run).
    """

    __slots__ = ("_w", "_bias", "_min", "_max", "_mode", "_path", "_nnz", "_desc", "_values", "_diffs",
                 "_first", "_max_diff", "_cache", "_lock", "_frozen")

    def __init__(self, weight, bias=None, *, output_min=-math.inf, output_max=math.inf, mode="auto"):
        w = _dense_weight(weight)
        cout, cin = w.shape
        if bias is None:
            b = np.zeros(cout, np.float32)
        else:
            b = V.array("bias", bias, np.float32, 1, 1)
            if b.shape[0] != cout:
                raise ValueError(f"bias must have shape ({cout},) to match weight, got {b.shape}")
            b = b.copy()
        lo = _bound("output_min", output_min)
        hi = _bound("output_max", output_max)
        if lo > hi:
            raise ValueError(f"output_min ({output_min}) must not exceed output_max ({output_max})")
        if not isinstance(mode, str) or mode not in ("auto", "sparse", "dense"):
            raise ValueError(f"mode must be 'auto', 'sparse' or 'dense', got {mode!r}")
        desc, values, diffs, first, nnz = _ext.f32_spmm_pack(w, b, _MAX_GROUP)
        set_ = object.__setattr__
        set_(self, "_w", w)
        set_(self, "_bias", b)
        set_(self, "_min", lo)
        set_(self, "_max", hi)
        set_(self, "_mode", mode)
        set_(self, "_nnz", int(nnz))
        sparsity = 1.0 - nnz / float(w.size)
        set_(self, "_path", mode if mode != "auto" else ("sparse" if sparsity >= SPARSE_CROSSOVER else "dense"))
        for a in (w, b, desc, values, diffs):
            a.setflags(write=False)
        set_(self, "_desc", desc)
        set_(self, "_values", values)
        set_(self, "_diffs", diffs)
        set_(self, "_first", int(first))
        set_(self, "_max_diff", int(np.abs(diffs.astype(np.int64)).max()) if diffs.size else 0)
        set_(self, "_cache", {})
        set_(self, "_lock", threading.Lock())
        set_(self, "_frozen", True)

    def __setattr__(self, name, value):
        raise AttributeError("SparseConv1x1 is immutable")

    def __delattr__(self, name):
        raise AttributeError("SparseConv1x1 is immutable")

    # -- properties --
    @property
    def nnz(self):
        return self._nnz

    @property
    def sparsity(self):
        return 1.0 - self._nnz / float(self._w.size)

    @property
    def in_channels(self):
        return int(self._w.shape[1])

    @property
    def out_channels(self):
        return int(self._w.shape[0])

    @property
    def output_min(self):
        return self._min

    @property
    def output_max(self):
        return self._max

    @property
    def mode(self):
        return self._mode

    @property
    def path(self):
        return self._path

    @property
    def weight(self):
        """The dense float32 weight (read-only view)."""
        return self._w

    @property
    def bias(self):
        return self._bias

    def __repr__(self):
        return (f"SparseConv1x1(out_channels={self.out_channels}, in_channels={self.in_channels}, "
                f"nnz={self.nnz}, sparsity={self.sparsity:.3f}, path={self.path!r})")

    def __reduce__(self):
        return (_rebuild, (self._w, self._bias, self._min, self._max, self._mode))

    # -- running --
    def _check_offsets(self, hw):
        """The int32 byte increments of this weight for images of hw pixels fit (else ValueError naming x)."""
        V.nbytes("x", f"the largest input increment of this weight ({self._max_diff} input channels of "
                      f"H*W = {hw} float32 pixels)", self._max_diff * hw, 4, V.SPMM_OFFSET_LIMIT)

    def _byte_diffs(self, hw):
        """Increments in bytes for images of hw pixels (cached per hw)."""
        d = self._cache.get(hw)
        if d is not None:
            return d
        self._check_offsets(hw)
        d = (self._diffs.astype(np.int64) * (hw * 4)).astype(np.int32)
        d.setflags(write=False)
        with self._lock:
            if len(self._cache) >= _MAX_CACHED_SIZES:
                self._cache.pop(next(iter(self._cache)))
            self._cache[hw] = d
        return d

    def __call__(self, x, out=None, threads=None, *, kernel=None):
        """Run on x [Cin, H, W] or [N, Cin, H, W]; `kernel` names a sparse variant (tests use it)."""
        x = V.array("x", x, np.float32, 3, 4, contiguous=False)
        cin, cout = self.in_channels, self.out_channels
        if x.shape[-3] != cin:
            raise ValueError(f"x must have {cin} channels in dimension {x.ndim - 3} (CHW layout), got shape {x.shape}")
        shape = x.shape[:-3] + (cout,) + x.shape[-2:]
        nthreads = V.threads(threads)
        if kernel is not None and not isinstance(kernel, str):
            raise TypeError(f"kernel must be a variant name (str), got {type(kernel).__name__}")
        batch = x.shape[0] if x.ndim == 4 else 1
        hw = int(x.shape[-2]) * int(x.shape[-1])
        # Limits before any allocation or copy: the sparse kernels' int32 byte
        # increments (the dense path has no such limit), then the result (V.out).
        if (self._path != "dense" or kernel is not None) and batch and hw:
            self._check_offsets(hw)
        result = V.out(out, shape, np.dtype(np.float32), inputs=(x,))
        if result.size == 0:
            return result
        x = V.contiguous_array(x)
        if self._path == "dense" and kernel is None:
            y = result.reshape(batch, cout, hw)
            np.matmul(self._w, x.reshape(batch, cin, hw), out=y)
            y += self._bias[:, None]
            if self._min != -math.inf or self._max != math.inf:
                np.clip(y, self._min, self._max, out=y)
            return result
        diffs = self._byte_diffs(hw)
        _ext.f32_spmm(x.reshape(-1), result.reshape(-1), batch, cin, cout, hw, self._desc, self._values, diffs,
                      self._first, self._min, self._max, nthreads, kernel)
        return result


def _rebuild(weight, bias, output_min, output_max, mode):
    return SparseConv1x1(weight, bias, output_min=output_min, output_max=output_max, mode=mode)
