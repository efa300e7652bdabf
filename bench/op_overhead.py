"""Python cost per operator call on small MobileNetV2 shapes.

    PYTHONPATH=. python bench/op_overhead.py

For each operator: op(x, threads=1) against the bare qkernels._ext call it
makes (flat uint8 views prepared beforehand), min over timeit repeats; the
difference is what the Python layer costs per call.  Then the network
runner alone (qkernels.models.Network.run with every operator replaced by a
stub).  Shared, noisy machines: run it twice, compare minima, alternate
builds (PYTHONPATH=other/checkout) for before/after.
"""
import timeit

import numpy as np

import qkernels as qk
from qkernels import _ext

rng = np.random.default_rng(0)


def q(shape):
    return rng.integers(-128, 128, shape, dtype=np.int8)


def t(fn, number=2000, repeat=15):
    """Microseconds per call: the minimum over `repeat` runs of `number` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


rows = []


def conv(name, cin, cout, h, k=1, s=1, pad=0):
    w = q((cout, k, k, cin)); b = rng.integers(-1000, 1000, cout, dtype=np.int32)
    op = qk.Conv2d(w, b, stride=s, padding=pad, input_scale=0.02, input_zero_point=-3, weight_scale=np.full(cout, 0.01),
                   output_scale=0.05, output_zero_point=2, output_min=-100, output_max=100)
    x = q((1, h, h, cin)); y = op(x)
    f = x.reshape(-1).view(np.uint8); yo = np.empty_like(y).reshape(-1).view(np.uint8)
    if op._pointwise:
        ext = lambda: _ext.gemm_run(op._family, op._kernel, 1, h*h, cout, cin, f, cin, op._packed, op._group_stride, yo, cout,
                                    op._izp, op._wzp, op._mode, op._ozp, op._qmin, op._qmax, 1)
    elif not op._im2col:
        oh, ow, ind, base = op._geometry(h, h, f)
        ext = lambda: _ext.igemm_run(op._family, op._kernel, 1, 1, oh*ow, cout, cin, k*k, ind, base, f, h*h*cin, op._zero,
                                     op._packed, op._group_stride, yo, cout, oh*ow*cout, op._izp, op._wzp, op._mode,
                                     op._ozp, op._qmin, op._qmax, 1)
    else:
        ext = None
    rows.append((name, lambda: op(x, threads=1), ext))


conv("conv1x1 7x7x960->160", 960, 160, 7)
conv("conv1x1 7x7x160->960", 160, 960, 7)
conv("conv1x1 14x14x64->384", 64, 384, 14)
conv("conv3x3 7x7x64->64 same", 64, 64, 7, 3, 1, "same")
conv("stem 3x3 s2 im2col 32x32x3", 3, 32, 32, 3, 2, "same")

w = q((1000, 1280)); lin = qk.Linear(w, rng.integers(-1000, 1000, 1000, dtype=np.int32), input_scale=0.02, input_zero_point=-3,
                                     weight_scale=np.full(1000, 0.01), output_scale=0.05, output_zero_point=2)
xl = q((1, 1280)); yl = lin(xl); fl = xl.reshape(-1).view(np.uint8); ylo = np.empty_like(yl).reshape(-1).view(np.uint8)
rows.append(("linear 1x1280->1000", lambda: lin(xl, threads=1),
             lambda: _ext.gemm_run(lin._family, lin._kernel, 1, 1, 1000, 1280, fl, 1280, lin._packed, lin._group_stride,
                                   ylo, 1000, lin._izp, lin._wzp, lin._mode, lin._ozp, lin._qmin, lin._qmax, 1)))

add = qk.Add(0.02, -3, 0.03, 4, 0.05, 1, dtype="int8")
a, bb = q((1, 7, 7, 160)), q((1, 7, 7, 160)); ya = add(a, bb)
fa, fb, fo = a.reshape(-1).view(np.uint8), bb.reshape(-1).view(np.uint8), np.empty_like(ya).reshape(-1).view(np.uint8)
rows.append(("add 7x7x160", lambda: add(a, bb, threads=1), lambda: _ext.vadd(add._family, fa, fb, fo, *add._params, 1, None)))
a2, b2 = q((1, 28, 28, 32)), q((1, 28, 28, 32))
rows.append(("add 28x28x32", lambda: add(a2, b2, threads=1), None))

pool = qk.GlobalAvgPool2d(0.02, -3, 0.03, 1, dtype="int8")
xp = q((1, 7, 7, 1280)); yp = pool(xp); fp = xp.reshape(-1).view(np.uint8); fpo = np.empty_like(yp).reshape(-1).view(np.uint8)
sc, mu, sh = pool._requant(49, xp.shape)
_, zpi, _, zpo, _, qmin, qmax, mode = pool._args
rows.append(("gavgpool 7x7x1280", lambda: pool(xp, threads=1),
             lambda: _ext.gavgpool(pool._family, fp, fpo, 1, 49, 1280, mode, zpi, sc, mu, sh, zpo, qmin, qmax, 1, None)))

dw = qk.DepthwiseConv2d(q((3, 3, 960)), None, stride=1, padding="same", input_scale=0.02, input_zero_point=-3,
                        weight_scale=np.full(960, 0.01), output_scale=0.05, output_zero_point=2)
xd = q((1, 7, 7, 960)); dw(xd)
rows.append(("dwconv 7x7x960 (already cached)", lambda: dw(xd, threads=1), None))

print(f"{'op':34s} {'op() us':>9s} {'_ext us':>9s} {'python us':>9s}")
for name, call, ext in rows:
    a_ = t(call); e = t(ext) if ext else float('nan')
    print(f"{name:34s} {a_:9.2f} {e:9.2f} {a_ - e:9.2f}")

# the network runner alone: every operator replaced by a stub
from qkernels.models import mobilenet_v2  # noqa: E402
net = mobilenet_v2(seed=0, input_size=32)
xn = net.random_input()
y0 = np.zeros(1, np.int8)
for layer in net.layers:
    object.__setattr__(layer, "op", lambda *a, threads=None: y0)
tr = t(lambda: net(xn), number=1000, repeat=10)
print(f"{'network runner, stub operators':34s} {tr:9.2f} us per net call, {len(net.layers)} layers, "
      f"{tr / len(net.layers):.3f} us per layer")
