"""qkernels: QNNPACK/XNNPACK-class quantized and sparse CNN kernels, from numpy.

    import qkernels as qk
    qk.cpu_info()
    q = qk.quantize(x, scale=0.02, zero_point=0, dtype="int8")

See DESIGN.md for the full contract; `qkernels.reference` holds the numpy
twins of every operator.
"""
from importlib import metadata as _metadata

from . import _ext

_ext.init()  # detects the CPU once; a bad QKERNELS_ISA raises ValueError here

from . import reference  # noqa: E402
from . import chw  # noqa: E402
from . import _validate as _V  # noqa: E402
from .quant import dequantize, quantize, requantize  # noqa: E402
from .gemm import Conv2d, Linear  # noqa: E402
from .depthwise import DepthwiseConv2d  # noqa: E402

try:
    __version__ = _metadata.version("qkernels")
except _metadata.PackageNotFoundError:  # running from a source tree (QEMU harness)
    __version__ = "0.1.0"

__all__ = ["cpu_info", "set_num_threads", "get_num_threads", "quantize", "dequantize", "requantize",
           "reference", "__version__", "Linear", "Conv2d", "DepthwiseConv2d"]

from .sparse import SparseConv1x1  # noqa: E402
__all__ += ["SparseConv1x1"]


from .glue import Add, AddF32, GlobalAvgPool2d  # noqa: E402
__all__ += ["Add", "AddF32", "GlobalAvgPool2d"]


def cpu_info():
    """What runs here: architecture, detected features, the kernel per family, threads."""
    return {
        "arch": _ext.arch(),
        "features": _ext.features(),
        "isa_cap": _ext.isa_cap(),
        "isa_levels": _ext.isa_levels(),
        "kernels": {f: _ext.selected(f) for f in _ext.families()},
        "num_threads": int(_ext.get_num_threads()),
        "available_cpus": int(_ext.available_cpus()),
    }


def set_num_threads(n):
    """Default thread count of every operator call (1..256)."""
    _ext.set_num_threads(_V.integer("n", n, 1, _V.MAX_THREADS))


def get_num_threads():
    return int(_ext.get_num_threads())


from . import models  # noqa: E402  (whole networks: qk.models.mobilenet_v2, ...)
__all__ += ["models"]
