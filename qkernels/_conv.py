"""Convolution geometry shared by qk.Conv2d and qkernels.reference.conv2d:
argument parsing (stride/padding/dilation), "same" padding, output sizes and
the indirection buffer of the IGEMM kernels (csrc/include/qkernels/gemm.h)."""
import numbers

import numpy as np

from . import _validate as V


def pair(name, value, lo=1):
    """An int or a pair of ints, each >= lo -> (h, w)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return tuple(V.integer(name, v, lo) for v in value)
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_)):
        v = V.integer(name, value, lo)
        return (v, v)
    raise TypeError(f"{name} must be an int or a pair of ints, got {type(value).__name__}")


def padding(value):
    """'same', 'valid', an int or a pair -> 'same' or (top, bottom, left, right)."""
    if isinstance(value, str):
        if value == "same":
            return "same"
        if value == "valid":
            return (0, 0, 0, 0)
        raise ValueError(f"padding must be an int, a pair of ints, 'same' or 'valid', got {value!r}")
    ph, pw = pair("padding", value, lo=0)
    return (ph, ph, pw, pw)


def resolve(pad, h, w, kh, kw, stride, dilation):
    """Explicit (top, bottom, left, right) for an input of h x w.

    "same" follows TensorFlow/PyTorch: output = ceil(in / stride), the total
    padding max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0) split with
    the extra pixel at the bottom/right.
    """
    if pad != "same":
        return pad
    out = []
    for size, k, s, d in ((h, kh, stride[0], dilation[0]), (w, kw, stride[1], dilation[1])):
        o = -(-size // s)
        total = max((o - 1) * s + (k - 1) * d + 1 - size, 0)
        out += [total // 2, total - total // 2]
    return tuple(out)


def output_size(h, w, kh, kw, stride, dilation, pads):
    """(OH, OW) or ValueError when the (padded) input is smaller than the dilated kernel."""
    pt, pb, pl, pr = pads
    eh = (kh - 1) * dilation[0] + 1
    ew = (kw - 1) * dilation[1] + 1
    if h + pt + pb < eh or w + pl + pr < ew:
        raise ValueError(f"x spatial size {h}x{w} (padded {h + pt + pb}x{w + pl + pr}) is smaller than the "
                         f"dilated kernel {eh}x{ew}")
    return (h + pt + pb - eh) // stride[0] + 1, (w + pl + pr - ew) // stride[1] + 1


def indirection(h, w, c, kh, kw, stride, dilation, pads, oh, ow, mr, base, zero):
    """Row pointers for the IGEMM kernels: [ceil(OH*OW / mr)][KH*KW][mr] as uintp.

    Entry (pixel, tap) points at the c input channels of the input pixel the
    tap reads, as an address inside image 0 of an input starting at `base`;
    taps in the padding point at `zero` (kernels add a_offset to every other
    pointer, so the buffer serves any input address, image and group).  Rows
    past OH*OW repeat the last pixel.
    """
    pt, _, pl, _ = pads
    iy = (np.arange(oh) * stride[0] - pt)[:, None] + np.arange(kh) * dilation[0]  # [OH, KH]
    ix = (np.arange(ow) * stride[1] - pl)[:, None] + np.arange(kw) * dilation[1]  # [OW, KW]
    valid = ((iy >= 0) & (iy < h))[:, None, :, None] & ((ix >= 0) & (ix < w))[None, :, None, :]
    offset = (iy[:, None, :, None] * w + ix[None, :, None, :]) * c  # [OH, OW, KH, KW]
    offset = np.where(valid, offset, 0).astype(np.uint64)
    ptr = np.where(valid, np.uint64(base) + offset, np.uint64(zero)).reshape(oh * ow, kh * kw)
    m = oh * ow
    tiles = -(-m // mr)
    if tiles * mr > m:
        ptr = np.concatenate([ptr, np.repeat(ptr[-1:], tiles * mr - m, axis=0)])
    ptr = ptr.reshape(tiles, mr, kh * kw).transpose(0, 2, 1)
    return np.ascontiguousarray(ptr).astype(np.uintp).reshape(-1)
