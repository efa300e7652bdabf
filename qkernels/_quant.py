"""Requantization parameters, derived once, here, for kernels and reference alike.

DESIGN.md section 4:
  fp32      s = float32(input_scale * weight_scale / output_scale), computed in
            float64 and rounded once; valid for 0 < s < 256.
  gemmlowp  TFLite's QuantizeMultiplier of the float64 multiplier: a Q31
            multiplier in [2^30, 2^31) and a right shift in [0, 31]
            (multipliers below 2^-32 become 0, as in TFLite).  Only real
            multipliers below 1 are supported: above 1 TFLite shifts the
            accumulator left, which overflows int32 for large accumulators.
"""
import math

import numpy as np

MODES = ("fp32", "gemmlowp")


def mode(value):
    if not isinstance(value, str) or value not in MODES:
        raise ValueError(f"requantization must be one of {MODES}, got {value!r}")
    return value


def fp32_scales(real):
    """float64 multiplier(s) -> float32 scale(s), validated."""
    real = np.asarray(real, dtype=np.float64)
    s = real.astype(np.float32)
    if not np.all((s > 0) & (s < 256)):
        bad = float(np.asarray(real).ravel()[np.argmax(~((s > 0) & (s < 256)).ravel())])
        raise ValueError(
            "unsupported combined scale input_scale*weight_scale/output_scale = "
            f"{bad!r}: fp32 requantization needs it in (0, 256) after rounding to float32")
    return s


def quantize_multiplier(real):
    """TFLite QuantizeMultiplier for one float64 value in (0, 1): (multiplier, right_shift)."""
    q, exponent = math.frexp(real)  # real = q * 2^exponent, q in [0.5, 1)
    q_fixed = int(math.floor(q * (1 << 31) + 0.5))  # std::round: half away from zero (q > 0)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        exponent += 1
    if exponent < -31:
        return 0, 0
    if exponent > 0:
        raise ValueError(
            f"unsupported combined scale {real!r}: gemmlowp requantization needs it below 1")
    return q_fixed, -exponent


def gemmlowp_params(real):
    """float64 multiplier(s) -> (int32 multipliers, int32 right shifts), validated."""
    real = np.asarray(real, dtype=np.float64)
    flat = real.ravel()
    if not np.all((flat > 0) & (flat < 1)):
        bad = float(flat[np.argmax(~((flat > 0) & (flat < 1)))])
        raise ValueError(
            "unsupported combined scale input_scale*weight_scale/output_scale = "
            f"{bad!r}: gemmlowp requantization needs it in (0, 1)")
    pairs = [quantize_multiplier(float(v)) for v in flat]
    mult = np.array([p[0] for p in pairs], dtype=np.int32).reshape(real.shape)
    shift = np.array([p[1] for p in pairs], dtype=np.int32).reshape(real.shape)
    return mult, shift
