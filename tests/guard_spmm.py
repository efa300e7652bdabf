"""Guard-page sweep of the f32_spmm family, run in a child process by
tests/test_spmm.py (see guard.py): inputs and outputs flush against
PROT_NONE pages after their end, then before their start, every usable
variant, every pixel tail and every group size (1, 2, 4 channels)."""
import numpy as np

import qkernels as qk
from qkernels import _ext, reference
from conftest import scaled
from guard import case, guarded


def sweep():
    rng = np.random.default_rng(11)
    cout, cin = 11, 7
    w = rng.standard_normal((cout, cin)).astype(np.float32)
    w[rng.random((cout, cin)) < 0.5] = 0
    w[0:4] = rng.standard_normal((4, cin)).astype(np.float32) * (rng.random(cin) < 0.8)  # a 4-group
    w[4:6] = rng.standard_normal((2, cin)).astype(np.float32) * (rng.random(cin) < 0.6)  # a pair
    w[6, 0], w[6, cin - 1] = 1.0, -1.0  # first and last input channel (lowest / highest slices)
    b = rng.standard_normal(cout).astype(np.float32)
    op = qk.SparseConv1x1(w, b, mode="sparse")
    codes = _ext.f32_spmm_pack(w, b, 4)[0] & 3
    assert 2 in codes and 1 in codes and 0 in codes
    for name in _ext.variants("f32_spmm"):
        for hw in list(range(1, scaled(70, 40))) + [scaled(133, 97)]:
            x = rng.standard_normal((2, cin, 1, hw)).astype(np.float32)
            want = reference.sparse_conv1x1(x, w, b)
            for side in ("after", "before"):
                case(f"{name} hw={hw} side={side}")
                gx = guarded(x, side)
                out = guarded(np.zeros((2, cout, 1, hw), np.float32), side)
                op(gx, out=out, kernel=name, threads=1)
                mag = np.abs(b)[:, None, None] + np.einsum("oc,ncij->noij", np.abs(w), np.abs(x))
                assert (np.abs(out - want) <= 1e-5 * mag + 1e-35).all(), (name, hw, side)
