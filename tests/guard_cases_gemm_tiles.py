"""Guard-page cases of tests/test_gemm_tiles.py (run in a child process, see
guard.py): for every variant, Linear and 3x3 Conv2d inputs and out= arrays
flush against PROT_NONE pages on either side, on the variant's own tile
edges (M around mr, N around nr, K tails of its K step).  A kernel reading
past kc or a row, or storing past nc, faults."""
import numpy as np

import qkernels as qk
from qkernels import _ext, reference
from guard import case, guarded
from test_gemm_tiles import FAMILIES, MODES, data, quant_args, tiles


def tile_edges():
    rng = np.random.default_rng(5)
    for family, dtype in FAMILIES.items():
        for name, mr, nr, kr, _, _ in tiles(family):
            for (m, k, n) in [(1, 1, 1), (mr, 3, nr + 1), (mr + 1, 17, 2 * nr - 1), (2 * mr - 1, 37, nr + 5),
                              (1, 2 * max(kr, 8) + 7, 3), (mr - 1 or 1, 24, nr // 2 or 1),
                              # K = 2*64 + 5: whole 64-byte and masked loads of row sums
                              (mr + 2, 133, nr + 17)]:
                x, w = data(rng, dtype, (m, k)), data(rng, dtype, (n, k))
                q = quant_args(rng, dtype, n, MODES[k % 2])
                lin = qk.Linear(w, None, kernel=name, **q)
                want = reference.linear(x, w, None, **q)
                wc = data(rng, dtype, (n, 3, 3, k))
                conv = qk.Conv2d(wc, None, padding=1, kernel=name, **q)
                xc0 = data(rng, dtype, (1, 3, 3, k))
                wantc = reference.conv2d(xc0, wc, None, padding=1, **q)
                for side in ("after", "before"):
                    case(f"{name} linear m={m} k={k} n={n} side={side}")
                    got = lin(guarded(x, side), out=guarded(np.zeros((m, n), dtype), side))
                    assert np.array_equal(got, want), (name, m, k, n, side)
                    case(f"{name} conv k={k} n={n} side={side}")
                    got = conv(guarded(xc0, side), out=guarded(np.zeros(wantc.shape, dtype), side))
                    assert np.array_equal(got, wantc), (name, k, n, side)
