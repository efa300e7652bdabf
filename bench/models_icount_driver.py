"""Guest side of bench/models_icount.py: whole networks between instruction-count markers.

For each network: build it (seeded, as qkernels.models does natively), one
warm-up inference, then  mark A; R1 inferences; mark B; R2 inferences; mark C.
One inference = ((C - B) - (B - A)) / (R2 - R1) guest instructions, so set-up
and interpreter start-up cancel out.  One JSON line per network on stdout.
"""
import argparse
import json
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icount_driver import mark  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default="int8,sparse:0,sparse:0.7,sparse:0.8,sparse:0.9")
    ap.add_argument("--input-size", type=int, default=224)
    ap.add_argument("--reps", default="1,2")
    args = ap.parse_args()
    import qkernels as qk

    qk.set_num_threads(1)
    info = qk.cpu_info()
    r1, r2 = (int(x) for x in args.reps.split(","))
    print(json.dumps({"arch": info["arch"], "isa_cap": info["isa_cap"], "kernels": info["kernels"]}), flush=True)
    label = 0
    for spec in args.nets.split(","):
        if spec == "int8":
            net = qk.models.mobilenet_v2(seed=0, input_size=args.input_size)
        elif spec == "int8v1":
            net = qk.models.mobilenet_v1(seed=0, input_size=args.input_size)
        elif spec.startswith("sparse:"):
            net = qk.models.mobilenet_v2_sparse(seed=0, sparsity=float(spec[7:]), input_size=args.input_size)
        else:
            sys.exit(f"unknown network {spec!r}")
        x = net.random_input()
        net(x)
        kernels = sorted({str(getattr(layer.op, "kernel", None)) for layer in net.layers} - {"None"})
        base = label
        label += 3
        mark(base)
        for _ in range(r1):
            net(x)
        mark(base + 1)
        for _ in range(r2):
            net(x)
        mark(base + 2)
        print(json.dumps({"net": spec, "macs": net.macs, "layers": len(net.layers), "kernels": kernels,
                          "marks": [base, base + 1, base + 2], "reps": [r1, r2]}), flush=True)


if __name__ == "__main__":
    main()
