"""Every registered GEMM variant on the edges of its own tile.

test_gemm*.py of the operator layer sweeps shapes; this file walks each
variant's (mr, nr, kr) edges instead: every K tail of its K step (kc % 16,
% 8, % 4 ...), every N tail (nc % nr), every row count mr < MR, multi-tap
convolutions with padding (the `zero` row) and batches (a_offset), extreme
values (int8 -128 everywhere: the pair-sum overflow case of smull/smlal
kernels; uint8 255 with any zero points), K long enough to overflow any
int16 partial sum a kernel keeps, and inputs/outputs placed against
PROT_NONE guard pages.  Each result must equal qkernels.reference bit for bit
(and hence the scalar twin, which is itself one of the variants checked).
"""
import numpy as np
import pytest

import qkernels as qk
from qkernels import _ext, reference
from conftest import scaled
from guard import run_cases

FAMILIES = {"qs8_gemm": np.int8, "qu8_gemm": np.uint8}
MODES = ("fp32", "gemmlowp")


def tiles(family):
    return [_ext.gemm_variant_tile(family, v) for v in _ext.variants(family)]


def quant_args(rng, dtype, n, mode, wide=False):
    """Quantization arguments with a realistic or a wide output range."""
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    if dtype == np.int8:
        wscale = rng.uniform(0.5, 2.0, size=n) * 0.01 if rng.random() < 0.7 else 0.013
        izp, wzp = int(rng.integers(lo, hi + 1)), 0
    else:
        wscale = 0.013
        izp, wzp = int(rng.integers(0, 256)), int(rng.integers(0, 256))
    oscale = 0.5 if wide else float(rng.choice([0.3, 1.7, 25.0]))
    if mode == "gemmlowp":
        oscale = max(oscale, 0.2)  # combined scale must stay below 1
    omin, omax = (None, None) if rng.random() < 0.6 else (lo + 5, hi - 9)
    return dict(input_scale=0.02, input_zero_point=izp, weight_scale=wscale, weight_zero_point=wzp,
                output_scale=oscale, output_zero_point=int(rng.integers(lo // 2, hi // 2 + 1)),
                output_min=omin, output_max=omax, requantization=mode)


def data(rng, dtype, shape, kind="random"):
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    if kind == "min":
        return np.full(shape, lo, dtype)
    if kind == "max":
        return np.full(shape, hi, dtype)
    if kind == "ends":
        return rng.choice(np.array([lo, hi, lo + 1, hi - 1], dtype), size=shape)
    return rng.integers(lo, hi + 1, size=shape, dtype=dtype)


def check_linear(name, x, w, bias, q, out=None):
    got = qk.Linear(w, bias, kernel=name, **q)(x, out=out)
    want = reference.linear(x, w, bias, **q)
    np.testing.assert_array_equal(got, want, err_msg=f"{name} x{x.shape} w{w.shape} {q}")


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("mode", MODES)
def test_every_k_tail(family, mode, rng):
    """kc = 1 .. 2*step+1 for every variant, with random M and N around its tile."""
    dtype = FAMILIES[family]
    for name, mr, nr, kr, _, _ in tiles(family):
        step = max(16, 2 * kr)
        for k in list(range(1, 2 * step + 2)) + [3 * step + 5, 100, 257]:
            m = int(rng.integers(1, 2 * mr + 2))
            n = int(rng.integers(1, 2 * nr + 2))
            x, w = data(rng, dtype, (m, k)), data(rng, dtype, (n, k))
            bias = rng.integers(-5000, 5000, size=n, dtype=np.int32) if rng.random() < 0.5 else None
            check_linear(name, x, w, bias, quant_args(rng, dtype, n, mode))


@pytest.mark.parametrize("family", FAMILIES)
def test_every_n_tail_and_row_count(family, rng):
    """nc = 1 .. 3*nr and every mr = 1 .. MR (also several row tiles)."""
    dtype = FAMILIES[family]
    for name, mr, nr, kr, _, _ in tiles(family):
        for n in range(1, 3 * nr + 1):
            m = 1 + (n - 1) % (2 * mr + 1)
            k = int(rng.integers(1, 3 * max(kr, 8)))
            mode = MODES[n % 2]
            x, w = data(rng, dtype, (m, k)), data(rng, dtype, (n, k))
            check_linear(name, x, w, None, quant_args(rng, dtype, n, mode))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("kind", ["min", "max", "ends"])
def test_extreme_values(family, kind, rng):
    """All-(-128) int8 (the (-128)(-128) + (-128)(-128) = 32768 pair), uint8 255s and
    zero points at the ends, for K tails around every step."""
    dtype = FAMILIES[family]
    for name, mr, nr, kr, _, _ in tiles(family):
        for k in (7, 8, 15, 16, 17, 31, 32, 33, 64, 72, 129):
            for mode in MODES:
                m, n = mr + 1, nr + 3
                x, w = data(rng, dtype, (m, k), kind), data(rng, dtype, (n, k), kind)
                q = quant_args(rng, dtype, n, mode, wide=True)
                if dtype == np.uint8:
                    q["input_zero_point"] = int(rng.choice([0, 255, 128]))
                    q["weight_zero_point"] = int(rng.choice([0, 255, 1]))
                else:
                    q["input_zero_point"] = int(rng.choice([-128, 127, 0]))
                # tiny scale so huge accumulators still land inside the output range
                q["output_scale"] = float(k * 2.0e4 * 0.02 * 0.02)
                check_linear(name, x, w, None, q)


@pytest.mark.parametrize("family", FAMILIES)
def test_long_k_exact(family, rng):
    """K past any int16/int32 intermediate limit a kernel might keep (K = 2^16 with
    extreme values: the int8 sum is exactly 2^30)."""
    dtype = FAMILIES[family]
    ks = [scaled(70001, 70001), 4099, 65536]
    for name, mr, nr, kr, _, _ in tiles(family):
        for k in ks:
            kind = "min" if k == 65536 else "ends"
            m, n = min(mr, 2) + 1, nr + 1
            x, w = data(rng, dtype, (m, k), kind), data(rng, dtype, (n, k), kind)
            for mode in MODES:
                q = quant_args(rng, dtype, n, mode, wide=True)
                q["output_scale"] = float(2.0**31 * 0.02 * 0.02 / 100)
                check_linear(name, x, w, None, q)


@pytest.mark.parametrize("family", FAMILIES)
def test_conv_taps_padding_batch(family, rng):
    """IGEMM path: several taps, padding taps (the zero row, used without a_offset),
    batch images (a_offset), groups, odd channel counts."""
    dtype = FAMILIES[family]
    cases = [(1, 5, 6, 3, 7, 3, 1, 1), (2, 4, 5, 17, 9, 3, 2, 1), (1, 3, 3, 8, 33, 1, 1, 1),
             (2, 6, 5, 6, 4, 3, 1, 2), (1, 7, 4, 33, 17, 3, 2, 1)]
    for name, mr, nr, kr, _, _ in tiles(family):
        for (b, h, wd, cin, cout, ksz, stride, groups) in cases:
            mode = MODES[(cin + cout) % 2]
            x = data(rng, dtype, (b, h, wd, cin * groups))
            w = data(rng, dtype, (cout * groups, ksz, ksz, cin))
            q = quant_args(rng, dtype, cout * groups, mode)
            kw = dict(stride=stride, padding=ksz // 2, groups=groups)
            got = qk.Conv2d(w, None, kernel=name, **kw, **q)(x)
            want = reference.conv2d(x, w, None, **kw, **q)
            np.testing.assert_array_equal(got, want, err_msg=f"{name} conv {b, h, wd, cin, cout, ksz, groups}")


def test_guard_pages():
    """Activations and outputs flush against inaccessible pages on either side, for
    every variant on its own tile edges (cases in guard_cases_gemm_tiles.py, run in
    a child process so a fault names its case)."""
    assert run_cases("guard_cases_gemm_tiles", "tile_edges") > 0


def test_guard_pages_long_k():
    """K (and ks * kc) past the c2 kernels' activation stack buffers, where they
    widen chunk by chunk: still exact and within the given buffers."""
    assert run_cases("guard_cases_gemm_tiles", "long_k") >= 2 * 5 * len(tiles("qs8_gemm"))


def test_arm_variants_registered():
    """On Arm the NEON variants are present (and run) whenever the CPU has the ISA."""
    info = qk.cpu_info()
    if info["arch"] not in ("aarch64", "armv7"):
        assert all(not v.endswith("__neon") for f in FAMILIES for v in _ext.variants(f))
        return
    for family in FAMILIES:
        names = _ext.variants(family)
        assert names[-1].endswith("__scalar")
        assert any(v.endswith("__neon") for v in names), names
        if info["features"].get("neondot") and info["arch"] == "aarch64":
            assert any(v.endswith("__neondot") for v in names), names
        if info["features"].get("neoni8mm") and info["arch"] == "aarch64":
            assert any(v.endswith("__neoni8mm") for v in names), names


def test_x86_avx512vnni_variants_registered():
    """Where the CPU has AVX-512 VNNI (and the cap allows it) the vpdpbusd
    variants run first, with their own tile and packed format; elsewhere they
    are never offered.  (A compiler without AVX-512 VNNI drops the level at
    build time; this test then fails on such a CPU, which is the point: the
    build lost its fastest kernels.)"""
    info = qk.cpu_info()
    levels = _ext.isa_levels()
    allowed = "avx512vnni" in levels and levels.index(info["isa_cap"]) >= levels.index("avx512vnni")
    for family in FAMILIES:
        names = _ext.variants(family)
        vnni = [v for v in names if v.endswith("__avx512vnni")]
        if not (info["arch"] == "x86_64" and allowed and info["features"]["avx512vnni"]):
            assert vnni == [], names
            continue
        assert names[0] == family.split("_")[0] + "_gemm_ukernel_8x32c4__avx512vnni", names
        _, mr, nr, kr, sr, fmt = _ext.gemm_variant_tile(family, names[0])
        assert (mr, nr, kr, sr) == (8, 32, 4, 1) and fmt != 0
