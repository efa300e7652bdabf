"""8-bit GEMM family at the kernel level: packing byte by byte, and every
variant bit-exact against its scalar twin and qkernels.reference on swept
shapes (tester style: K across and past the kr*8 blocks, M/N below, at and
above the tile), strides, zero points, extremes, clamps, both requantization
modes, per-tensor and per-channel scales, and buffers placed against
PROT_NONE guard pages."""
import struct
import sys

import numpy as np
import pytest

from qkernels import _ext, _quant, reference
from conftest import UNDER_QEMU, scaled
from guard import run_cases

FAMILIES = ("qs8_gemm", "qu8_gemm")
MODES = ("fp32", "gemmlowp")
DT = {"qs8_gemm": np.dtype(np.int8), "qu8_gemm": np.dtype(np.uint8)}


def tile(family, name):
    return _ext.gemm_variant_tile(family, name)[1:]  # mr, nr, kr, sr, pack


def scalar_name(family):
    names = _ext.variants(family)
    assert names[-1].endswith("__scalar")
    return names[-1]


class Case:
    """One GEMM problem: a [M, K], w [N, K], bias, zero points, scales, clamp."""

    def __init__(self, family, rng, m, n, k, mode, azp=None, wzp=None, ozp=None, per_channel=None, clamp=None,
                 a=None, w=None, bias=None, real=None):
        dt = DT[family]
        lo, hi = int(np.iinfo(dt).min), int(np.iinfo(dt).max)
        self.family, self.mode, self.dt, self.m, self.n, self.k = family, mode, dt, m, n, k
        self.a = a if a is not None else rng.integers(lo, hi + 1, (m, k)).astype(dt)
        self.w = w if w is not None else rng.integers(lo, hi + 1, (n, k)).astype(dt)
        self.bias = bias if bias is not None else rng.integers(-(2**15), 2**15, n).astype(np.int32)
        pick = lambda: int(rng.choice([lo, hi, (lo + hi) // 2, 0 if lo < 0 else lo, int(rng.integers(lo, hi + 1))]))
        self.azp = pick() if azp is None else azp
        self.wzp = 0 if family == "qs8_gemm" else (pick() if wzp is None else wzp)
        self.ozp = pick() if ozp is None else ozp
        if per_channel is None:
            per_channel = family == "qs8_gemm" and bool(rng.integers(2))
        if real is None:
            # keep outputs mostly inside the range: acc ~ sqrt(k) * 128 * 128
            base = 40.0 / (np.sqrt(k) * 6000.0)
            real = base * (rng.uniform(0.25, 4.0, n) if per_channel else np.full(n, rng.uniform(0.25, 4.0)))
        self.real = np.minimum(np.asarray(real, np.float64), 0.99)
        self.qmin, self.qmax = clamp if clamp is not None else (lo, hi)

    def want(self):
        acc = (self.a.astype(np.int64) - self.azp) @ (self.w.astype(np.int64) - self.wzp).T + self.bias
        acc = ((acc + 2**31) % 2**32 - 2**31).astype(np.int32)  # the kernels' int32 wrap-around
        return reference.requantize(acc, self.real, self.ozp, self.dt, self.qmin, self.qmax, self.mode)

    def pack(self, name, buf=None):
        mr, nr, kr, sr, fmt = tile(self.family, name)
        size = _ext.gemm_packed_bytes(self.n, self.k, 1, nr, kr, self.mode, fmt)
        packed = np.zeros(size, np.uint8) if buf is None else buf
        if self.mode == "fp32":
            s, mu, sh = _quant.fp32_scales(self.real).astype(np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32)
        else:
            mu, sh = _quant.gemmlowp_params(self.real)
            s = np.zeros(0, np.float32)
        _ext.gemm_pack(self.family, nr, kr, sr, self.w.reshape(-1).view(np.uint8), self.n, self.k, 1, self.bias,
                       self.azp, self.wzp, self.mode, s, mu.astype(np.int32), sh.astype(np.int32), packed, fmt)
        return packed, size

    def run(self, name, a_stride=None, c_stride=None, threads=1, a_buf=None, c_buf=None, packed_buf=None):
        """Run variant `name`; optional strides and caller-placed buffers (guard pages)."""
        a_stride = a_stride or self.k
        c_stride = c_stride or self.n
        packed, size = self.pack(name, packed_buf)
        a_bytes = (self.m - 1) * a_stride + self.k
        a = np.zeros(a_bytes, np.uint8) if a_buf is None else a_buf
        for i in range(self.m):
            a[i * a_stride:i * a_stride + self.k] = self.a[i].view(np.uint8)
        c_bytes = (self.m - 1) * c_stride + self.n
        c = np.full(c_bytes, 0xA5, np.uint8) if c_buf is None else c_buf
        _ext.gemm_run(self.family, name, 1, self.m, self.n, self.k, a, a_stride, packed, size, c, c_stride,
                      self.azp, self.wzp, self.mode, self.ozp, self.qmin, self.qmax, threads)
        out = np.stack([c[i * c_stride:i * c_stride + self.n] for i in range(self.m)]).view(self.dt)
        # gaps between output rows are never written
        for i in range(self.m - 1):
            assert np.all(c[i * c_stride + self.n:(i + 1) * c_stride] == 0xA5), f"{name} wrote between rows"
        return out


def check_all_variants(case, **kw):
    want = case.want()
    scalar = case.run(scalar_name(case.family), **kw)
    np.testing.assert_array_equal(scalar, want, err_msg=f"scalar vs reference m={case.m} n={case.n} k={case.k}")
    for name in _ext.variants(case.family)[:-1]:
        got = case.run(name, **kw)
        np.testing.assert_array_equal(got, scalar, err_msg=f"{name} vs scalar m={case.m} n={case.n} k={case.k} "
                                                           f"mode={case.mode} azp={case.azp} wzp={case.wzp}")
    return want


def tiles(family):
    return [tile(family, v) for v in _ext.variants(family)]


def edge_sizes(values):
    """Sizes below, at and above each tile dimension (and twice it)."""
    out = set()
    for v in values:
        out |= {1, max(v - 1, 1), v, v + 1, 2 * v + 1}
    return sorted(out)


# ---------------------------------------------------------------------------
# packing, byte by byte


def _i32(*v):
    return struct.pack("<%di" % len(v), *v)


def _f32(*v):
    return struct.pack("<%df" % len(v), *v)


def test_pack_qs8_fp32_by_hand():
    w = np.array([[1, -2, 3], [-128, 127, 0], [5, 6, -7]], np.int8)
    bias = np.array([10, -20, 30], np.int32)
    scale = np.array([0.5, 0.25, 2.0], np.float32)
    azp = 2
    size = _ext.gemm_packed_bytes(3, 3, 1, 2, 2, "fp32")
    packed = np.full(size, 0xEE, np.uint8)
    _ext.gemm_pack("qs8_gemm", 2, 2, 1, w.reshape(-1).view(np.uint8), 3, 3, 1, bias, azp, 0, "fp32", scale,
                   np.zeros(0, np.int32), np.zeros(0, np.int32), packed)
    # bias - azp * sum_k w:  10 - 2*2 = 6,  -20 - 2*(-1) = -18,  30 - 2*4 = 22
    b = lambda *v: bytes(x & 0xFF for x in v)
    block0 = _i32(6, -18) + b(1, -2, -128, 127) + b(3, 0, 0, 0) + _f32(0.5, 0.25)
    block1 = _i32(22, 0) + b(5, 6, 0, 0) + b(-7, 0, 0, 0) + _f32(2.0, 1.0)  # channel 3 is padding
    assert size == len(block0 + block1) == 2 * (8 + 8 + 8)
    assert packed.tobytes() == block0 + block1


def test_pack_qu8_gemmlowp_taps_by_hand():
    # n = 1 channel, ks = 2 taps of kc = 1, tile nr = 2, kr = 1
    w = np.array([[[200], [7]]], np.uint8)
    bias = np.array([5], np.int32)
    azp, wzp = 3, 100
    size = _ext.gemm_packed_bytes(1, 1, 2, 2, 1, "gemmlowp")
    packed = np.zeros(size, np.uint8)
    _ext.gemm_pack("qu8_gemm", 2, 1, 1, w.reshape(-1), 1, 1, 2, bias, azp, wzp, "gemmlowp", np.zeros(0, np.float32),
                   np.array([1 << 30], np.int32), np.array([7], np.int32), packed)
    # bias + K*azp*wzp - azp*sum w = 5 + 2*3*100 - 3*207 = -16; pad channel: bias 0, weights w_zp
    want = _i32(-16, 0) + bytes([200, 100]) + bytes([7, 100]) + _i32(1 << 30, 0) + _i32(7, 0)
    assert packed.tobytes() == want


# enum qk_gemm_pack in gemm.h
PACK_I8, PACK_I16, PACK_I8_HI_NOT, PACK_U8_FLIP_HI_NOT = 0, 1, 2, 3


def test_pack_i8_hi_not_complements_upper_halves(rng):
    """Format I8_HI_NOT = I8 with positions i % 16 >= 8 of every kr group
    stored complemented, padding included (qs8 pad 0 -> 0xFF); bias and
    scales unchanged."""
    n, kc, nr, kr = 3, 20, 2, 16
    w = rng.integers(-128, 128, (n, kc), dtype=np.int8)
    bias = rng.integers(-1000, 1000, n, dtype=np.int32)
    scale = np.array([0.5, 0.25, 2.0], np.float32)
    size = _ext.gemm_packed_bytes(n, kc, 1, nr, kr, "fp32", PACK_I8_HI_NOT)
    assert size == _ext.gemm_packed_bytes(n, kc, 1, nr, kr, "fp32", PACK_I8)
    plain, hinot = np.zeros(size, np.uint8), np.zeros(size, np.uint8)
    for fmt, out in [(PACK_I8, plain), (PACK_I8_HI_NOT, hinot)]:
        _ext.gemm_pack("qs8_gemm", nr, kr, 1, w.reshape(-1).view(np.uint8), n, kc, 1, bias, 3, 0, "fp32", scale,
                       np.zeros(0, np.int32), np.zeros(0, np.int32), out, fmt)
    block = size // 2
    weights = nr * 32  # nr channels x 32 bytes (kc padded to 2 * kr)
    for blk in range(2):
        p, h = plain[blk * block:(blk + 1) * block], hinot[blk * block:(blk + 1) * block]
        assert h[:4 * nr].tobytes() == p[:4 * nr].tobytes()  # bias
        assert h[4 * nr + weights:].tobytes() == p[4 * nr + weights:].tobytes()  # scales
        wp, wh = p[4 * nr:4 * nr + weights], h[4 * nr:4 * nr + weights]
        pos = np.arange(weights) % 16  # position in the group (kr = 16)
        assert np.array_equal(wh[pos < 8], wp[pos < 8])
        assert np.array_equal(wh[pos >= 8], ~wp[pos >= 8])
    # the padding of channel 3 (block 1, second channel) and of k >= 20: 0 low, 0xFF high
    wh = hinot[block + 4 * nr:block + 4 * nr + weights].reshape(2, nr, 16)  # [kb][channel][16]
    assert (wh[:, 1, :8] == 0).all() and (wh[:, 1, 8:] == 0xFF).all()
    assert (wh[1, 0, 4:8] == 0).all() and (wh[1, 0, 8:] == 0xFF).all()
    with pytest.raises(ValueError):  # defined for kr multiple of 16 only
        _ext.gemm_pack("qs8_gemm", 4, 8, 1, w.reshape(-1).view(np.uint8), n, kc, 1, bias, 3, 0, "fp32", scale,
                       np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(4096, np.uint8), PACK_I8_HI_NOT)


def test_pack_u8_flip_hi_not_by_hand():
    """Format U8_FLIP_HI_NOT (qu8): bytes w ^ 0x80, upper 8 of every 16 then
    complemented; padding is w' = 0 (0x00 / 0xFF), not w_zp; the bias is
    folded with (128 - a_zp): bias + (128 - azp) * sum_k (w - wzp)."""
    n, kc, nr, kr = 1, 10, 2, 16
    w = np.array([[0, 255, 128, 1, 2, 3, 4, 5, 200, 100]], np.uint8)
    bias, azp, wzp = np.array([7], np.int32), 3, 100
    size = _ext.gemm_packed_bytes(n, kc, 1, nr, kr, "fp32", PACK_U8_FLIP_HI_NOT)
    packed = np.full(size, 0xEE, np.uint8)
    _ext.gemm_pack("qu8_gemm", nr, kr, 1, w.reshape(-1), n, kc, 1, bias, azp, wzp, "fp32", np.ones(1, np.float32),
                   np.zeros(0, np.int32), np.zeros(0, np.int32), packed, PACK_U8_FLIP_HI_NOT)
    folded = 7 + (128 - azp) * int((w.astype(np.int64) - wzp).sum())
    flip = [int(v) ^ 0x80 for v in w[0]] + [0] * 6  # k = 10..15 padding: w' = 0
    ch0 = bytes(flip[:8]) + bytes((~x) & 0xFF for x in flip[8:])
    ch1 = bytes(8) + bytes([0xFF] * 8)  # pad channel
    assert packed.tobytes() == _i32(folded, 0) + ch0 + ch1 + _f32(1.0, 1.0)
    with pytest.raises(ValueError):  # qu8 only
        _ext.gemm_pack("qs8_gemm", nr, kr, 1, w.reshape(-1), n, kc, 1, bias, azp, 0, "fp32", np.ones(1, np.float32),
                       np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(size, np.uint8), PACK_U8_FLIP_HI_NOT)


def test_pack_i16_format_by_hand():
    # format 1 (QK_GEMM_PACK_I16): the same block with each weight as little-endian int16 (w - w_zp), pads 0
    w = np.array([[[200], [7]]], np.uint8)
    size = _ext.gemm_packed_bytes(1, 1, 2, 2, 1, "gemmlowp", PACK_I16)
    assert size == _ext.gemm_packed_bytes(1, 1, 2, 2, 1, "gemmlowp") + 2 * 2
    packed = np.zeros(size, np.uint8)
    _ext.gemm_pack("qu8_gemm", 2, 1, 1, w.reshape(-1), 1, 1, 2, np.array([5], np.int32), 3, 100, "gemmlowp",
                   np.zeros(0, np.float32), np.array([1 << 30], np.int32), np.array([7], np.int32), packed, PACK_I16)
    i16 = lambda *v: np.array(v, "<i2").tobytes()
    assert packed.tobytes() == _i32(-16, 0) + i16(100, 0) + i16(-93, 0) + _i32(1 << 30, 0) + _i32(7, 0)
    # qs8: weights as given (w_zp = 0), -128 kept, K padding 0
    ws = np.array([[-128, 127, -1]], np.int8)
    size = _ext.gemm_packed_bytes(1, 3, 1, 1, 2, "fp32", PACK_I16)
    packed = np.zeros(size, np.uint8)
    _ext.gemm_pack("qs8_gemm", 1, 2, 1, ws.reshape(-1).view(np.uint8), 1, 3, 1, None, 0, 0, "fp32",
                   np.array([0.5], np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32), packed, PACK_I16)
    assert packed.tobytes() == _i32(0) + i16(-128, 127, -1, 0) + np.array([0.5], "<f4").tobytes()


def test_pack_bias_folding_wraps_modulo_2_32():
    # bias + K*azp*wzp - azp*sum(w) = 2^31 - 1 + 255 * 255 * 1 overflows int32: stored modulo 2^32
    w = np.zeros((1, 1), np.uint8)
    packed = np.zeros(_ext.gemm_packed_bytes(1, 1, 1, 1, 1, "fp32"), np.uint8)
    _ext.gemm_pack("qu8_gemm", 1, 1, 1, w.reshape(-1), 1, 1, 1, np.array([2**31 - 1], np.int32), 255, 255, "fp32",
                   np.ones(1, np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32), packed)
    assert struct.unpack("<i", packed[:4].tobytes())[0] == (2**31 - 1 + 255 * 255) - 2**32


@pytest.mark.parametrize("nr,kr,sr", [(0, 1, 1), (4, 0, 1), (4, 8, 2)])
def test_pack_rejects_unsupported_tiles(nr, kr, sr):
    w = np.zeros(4, np.uint8)
    with pytest.raises(ValueError):
        _ext.gemm_pack("qs8_gemm", nr, kr, sr, w, 2, 2, 1, None, 0, 0, "fp32", np.ones(2, np.float32),
                       np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(4096, np.uint8))


def test_every_family_has_scalar_and_tiles_pack():
    for family in FAMILIES:
        names = _ext.variants(family)
        assert names[-1] == scalar_name(family)
        for name in names:
            mr, nr, kr, sr, fmt = tile(family, name)
            assert 1 <= mr <= 16 and nr >= 1 and kr >= 1 and sr == 1 and fmt >= 0


# ---------------------------------------------------------------------------
# every variant equals the scalar twin and the reference


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("mode", MODES)
def test_k_sweep(family, mode, rng):
    """K from 1 to 2 * kr * 8 of the widest kr (every tail of every K loop)."""
    kmax = 2 * max(t[2] for t in tiles(family)) * 8
    ks = range(1, kmax + 1) if not UNDER_QEMU else sorted(set(rng.choice(np.arange(1, kmax + 1), 12)) | {1, 7, 8, 9})
    ms = edge_sizes([t[0] for t in tiles(family)])
    ns = edge_sizes([t[1] for t in tiles(family)])
    for k in ks:
        case = Case(family, rng, int(rng.choice(ms)), int(rng.choice(ns)), int(k), mode)
        check_all_variants(case)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("mode", MODES)
def test_m_n_sweep(family, mode, rng):
    """Every M and N around each variant's tile, at a K with and without a tail."""
    ms = range(1, 2 * max(t[0] for t in tiles(family)) + 2)
    ns = range(1, 2 * max(t[1] for t in tiles(family)) + 4)
    for k in scaled((8, 19), (11,)):
        for m in ms:
            for n in (ns if not UNDER_QEMU else sorted(set(rng.choice(list(ns), 5)) | {1, ns[-1]})):
                check_all_variants(Case(family, rng, m, n, k, mode))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("mode", MODES)
def test_large_k(family, mode, rng):
    for k in scaled((1000, 4096), (1000,)):
        check_all_variants(Case(family, rng, 5, 11, k, mode))


def test_k_65536_extremes_exact_or_wrapping(rng):
    """K = 2^16 with every operand at its extreme: the int32 sums are exact
    (qs8: 2^16 * 2^14 = 2^30) or wrap identically everywhere (qu8 reaches
    -255*255*2^16 < -2^31)."""
    k = 65536
    m, n = 2, 3
    for family, a_val, w_val, azp, wzp in [("qs8_gemm", -128, -128, 0, 0), ("qs8_gemm", -128, 127, 127, 0),
                                           ("qu8_gemm", 255, 0, 0, 255), ("qu8_gemm", 0, 255, 255, 0),
                                           ("qu8_gemm", 255, 255, 0, 0)]:
        dt = DT[family]
        a = np.full((m, k), a_val, dt)
        w = np.full((n, k), w_val, dt)
        for mode in MODES:
            case = Case(family, rng, m, n, k, mode, azp=azp, wzp=wzp, ozp=0, a=a, w=w,
                        bias=np.array([0, 1, -1], np.int32), real=np.full(n, 2.0**-24))
            want = check_all_variants(case)
            assert want.shape == (m, n)


@pytest.mark.parametrize("family", FAMILIES)
def test_extreme_values_and_zero_points(family, rng):
    dt = DT[family]
    lo, hi = int(np.iinfo(dt).min), int(np.iinfo(dt).max)
    for k in (1, 9, 33):
        for mode in MODES:
            for azp in (lo, 0 if lo < 0 else 128, hi):
                for wzp in ((0,) if family == "qs8_gemm" else (lo, 128, hi)):
                    a = rng.choice(np.array([lo, hi, 0 if lo < 0 else 1], np.int64), (4, k)).astype(dt)
                    w = rng.choice(np.array([lo, hi], np.int64), (9, k)).astype(dt)
                    check_all_variants(Case(family, rng, 4, 9, k, mode, azp=azp, wzp=wzp, a=a, w=w))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("mode", MODES)
def test_clamps_and_output_zero_points(family, mode, rng):
    dt = DT[family]
    lo, hi = int(np.iinfo(dt).min), int(np.iinfo(dt).max)
    clamps = [(lo, hi), (lo + 10, hi - 3), (0 if lo < 0 else 100, 6 if lo < 0 else 106), (hi - 1, hi), (lo, lo)]
    for qmin, qmax in clamps:
        for ozp in (lo, hi, (lo + hi) // 2):
            # a large scale so that many outputs saturate against the clamp
            case = Case(family, rng, 5, 13, 24, mode, ozp=ozp, clamp=(qmin, qmax))
            case.real = np.minimum(case.real * 50, 0.99)
            check_all_variants(case)


def test_per_channel_scales_spanning_shifts(rng):
    """qs8 per-channel: real scales from 2^-31 to 0.99 put every gemmlowp shift in one block."""
    n = 40
    real = np.geomspace(2.0**-31, 0.99, n)
    for mode in MODES:
        check_all_variants(Case("qs8_gemm", rng, 7, n, 50, mode, real=real))


def test_tiny_scales_flush_to_zero(rng):
    # gemmlowp multipliers of 0 (scale < 2^-32) and fp32 scales near float32 denormals
    for family in FAMILIES:
        for mode in MODES:
            check_all_variants(Case(family, rng, 4, 6, 30, mode, real=np.full(6, 1e-12)))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("mode", MODES)
def test_rounding_ties(family, mode, rng):
    """Scales 2^-e on small accumulators of both signs: every rounding tie of
    both modes occurs (fp32 half to even; gemmlowp's SRDHM ties toward +inf
    and RoundingDivideByPOT ties away from zero), in every lane position."""
    dt = DT[family]
    lo = int(np.iinfo(dt).min)
    for e in (1, 2, 3, 5):
        for k in (1, 3, 12):
            azp = 0 if lo < 0 else 100
            wzp = 0 if lo < 0 else 77
            a = (azp + rng.integers(-4, 5, (7, k))).astype(dt)
            w = (wzp + rng.integers(-4, 5, (19, k))).astype(dt)
            bias = rng.integers(-300, 301, 19).astype(np.int32)
            case = Case(family, rng, 7, 19, k, mode, azp=azp, wzp=wzp, ozp=0 if lo < 0 else 128, a=a, w=w,
                        bias=bias, real=np.full(19, 2.0**-e))
            check_all_variants(case)


@pytest.mark.parametrize("family", FAMILIES)
def test_strided_a_and_c(family, rng):
    for mode in MODES:
        for m, n, k in ((1, 3, 5), (4, 9, 17), (7, 16, 64)):
            case = Case(family, rng, m, n, k, mode)
            check_all_variants(case, a_stride=k + 13, c_stride=n + 5)


@pytest.mark.parametrize("family", FAMILIES)
def test_threads_equal_single(family, rng):
    case = Case(family, rng, scaled(97, 23), scaled(131, 37), 40, "fp32")
    for name in _ext.variants(family):
        one = case.run(name, threads=1)
        for t in (2, 3, 8):
            np.testing.assert_array_equal(case.run(name, threads=t), one, err_msg=f"{name} threads={t}")


# ---------------------------------------------------------------------------
# memory safety: buffers against PROT_NONE pages (guard_cases_gemm.py, in a child)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mprotect guard pages need Linux")
def test_kernels_stay_in_bounds():
    variants = sum(len(_ext.variants(f)) for f in FAMILIES)
    # every variant, both modes, at least 4 shapes, both sides of the buffers
    assert run_cases("guard_cases_gemm", "gemm_kernels") >= variants * len(MODES) * 4 * 2


def test_run_rejects_small_buffers():
    name = scalar_name("qs8_gemm")
    packed = np.zeros(_ext.gemm_packed_bytes(4, 8, 1, 4, 1, "fp32"), np.uint8)
    a, c = np.zeros(16, np.uint8), np.zeros(8, np.uint8)
    args = lambda **o: dict(dict(a=a, c=c, packed=packed, m=2), **o)
    for kw, match in [(args(a=np.zeros(15, np.uint8)), "a is too small"), (args(c=np.zeros(7, np.uint8)), "c is too small"),
                      (args(packed=packed[:-1]), "packed")]:
        with pytest.raises(ValueError, match=match):
            _ext.gemm_run("qs8_gemm", name, 1, kw["m"], 4, 8, kw["a"], 8, kw["packed"], packed.size, kw["c"], 4,
                          0, 0, "fp32", 0, -128, 127, 1)
