"""Guest instructions per MAC of one depthwise variant, under qemu-user + the icount plugin.

Runs the layer once, then `reps` times inside one C call (no interpreter in
between), on one thread; bench/dwconv_icount.sh runs this twice with
different `reps` and divides the difference by the MACs, so start-up,
packing, the indirection build and the Python call overhead cancel out.

    python bench/dwconv_icount.py H W C STRIDE KERNEL REPS [dtype] [mode] [clamp]

clamp: "full" (default: the whole output range) or "LO,HI" in quantized
units (e.g. "-128,0": a clamp the kernels must apply).
"""
import sys

import numpy as np

import qkernels as qk

h, w, c, s = (int(v) for v in sys.argv[1:5])
kernel, reps = sys.argv[5], int(sys.argv[6])
dtype = sys.argv[7] if len(sys.argv) > 7 else "int8"
mode = sys.argv[8] if len(sys.argv) > 8 else "fp32"
clamp = sys.argv[9] if len(sys.argv) > 9 else "full"
lo, hi = (None, None) if clamp == "full" else (int(v) for v in clamp.split(","))
rng = np.random.default_rng(0)
info = np.iinfo(dtype)
# int8 weights in TFLite's symmetric range [-127, 127], so the int8-weight
# (qs8_dwconv_mul8_*) kernels can run them too; the counts of the other
# kernels do not depend on the values.
wt = rng.integers(max(info.min, -127), info.max, (3, 3, c), endpoint=True).astype(dtype)
zp = 0 if dtype == "int8" else 128
op = qk.DepthwiseConv2d(wt, rng.integers(-1000, 1000, c).astype(np.int32), stride=s, padding=1,
                        input_scale=0.02, input_zero_point=zp, weight_scale=0.01,
                        weight_zero_point=0 if dtype == "int8" else 127, output_scale=0.5,
                        output_zero_point=zp, output_min=lo, output_max=hi, requantization=mode)
x = rng.integers(info.min, info.max, (1, h, w, c), endpoint=True).astype(dtype)
y = op._run(x, None, 1, kernel)
op._run(x, y, 1, kernel, repeat=reps)
