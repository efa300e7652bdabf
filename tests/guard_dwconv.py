"""Guard-page sweep of the depthwise kernels, run in a child process by
test_dwconv.py::test_dwconv_kernels_stay_in_bounds (see guard.py).

Every usable variant runs with the input image, the zero row, the packed
weights and the output each flush against a PROT_NONE page (after the end,
then before the start), over channel tails, strides, the multi-pixel paths
and their row remainders (and rows longer than one x86 chunk), and is checked against the reference."""
import numpy as np

from qkernels import _ext, reference
from conftest import scaled
from guard import case, guarded
from test_dwconv import make_op, rand_q


def dwconv():
    rng = np.random.default_rng(11)
    shapes = [(3, 3, 1, 1, 1), (3, 3, 2, 1, 1), (5, 5, 1, 2, 1), (2, 2, 1, 0, 1), (3, 3, 1, 2, 2)]  # kh kw s pad d
    for dtype in ("int8", "uint8"):
        # 45 = 32 + 13: a full 32-channel block and a masked tail (up32x9)
        for c in (1, 3, 8, 13, 16, 29, 40, 45)[::scaled(1, 2)]:
            for kh, kw, s, pad, d in shapes:
                # 66: past one 64-pixel chunk of the x86 kernels (3x3 s1/s2 streaming paths);
                # rows of 3-pixel passes ending in 1 and 2 pixels (all kept under QEMU):
                # stride 1 (pad 1) widths 7 and 5, stride 2 widths 7 (4 pixels) and 9 (5)
                widths = (1, 4, 7, 66, 5, 11, 9) if c in (16, 29, 45) and kh == 3 and d == 1 else (1, 4, 7)
                for width in widths[::scaled(1, 2)]:
                    op, args = make_op(rng, dtype, c, kh, kw, stride=s, padding=pad, dilation=d,
                                       mode=("fp32", "gemmlowp")[c % 2])
                    h = (kh - 1) * d + 1
                    x = rand_q(rng, (1, h + 1, max(width, (kw - 1) * d + 1 - 2 * pad), c), dtype)
                    want = reference.depthwise_conv2d(x, args[0], args[1], **args[2])
                    _, _, ind = op._geometry_for(x.shape[1], x.shape[2])
                    names = [(f, n) for f in op._families for n in _ext.variants(f)]
                    for family, name in names:
                        packed = op._packed_for(name)
                        for side in ("after", "before"):
                            case(f"{name} C={c} {kh}x{kw} s={s} p={pad} d={d} x={x.shape} side={side}")
                            gx = guarded(x.reshape(-1).view(np.uint8), side)
                            gz = guarded(op._zero, side)
                            gp = guarded(packed, side)
                            go = guarded(np.zeros(want.size, np.uint8), side)
                            _ext.dwconv_run(family, name, ind, 1, gx, gz, gp, go, op.requantization,
                                            *op._out, 1)
                            assert np.array_equal(go.view(dtype).reshape(want.shape), want), name
