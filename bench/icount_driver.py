"""Guest side of bench/icount.py: run chosen layers between instruction-count markers.

Runs inside the emulated Arm Python (qemu-user with the icount plugin), with
PYTHONPATH pointing at the cross-built qkernels.  For each layer it builds the
operator exactly as `qkernels bench` does (qkernels._bench_cases), calls it
once to warm up, then places markers around R1 calls and around R2 calls:

    mark A; R1 calls; mark B; R2 calls; mark C
    instructions per call = ((C - B) - (B - A)) / (R2 - R1)

so interpreter start-up, case set-up and the loop overhead cancel out.  One
JSON line per layer on stdout says which markers belong to it.
"""
import argparse
import ctypes
import json
import platform
import sys

MAGIC = 0x514B4943  # "QKIC", see bench/icount/icount.c
# getpid's number per machine (x86 too, so the driver also runs natively, where markers are no-ops).
GETPID = {"aarch64": 172, "arm64": 172, "armv7l": 20, "armv8l": 20, "armv6l": 20, "x86_64": 39, "i686": 20}

_libc = ctypes.CDLL(None)
_nr = GETPID.get(platform.machine())


def mark(label):
    """getpid with two extra (ignored) arguments: the plugin records the count here."""
    _libc.syscall(ctypes.c_long(_nr), ctypes.c_long(MAGIC), ctypes.c_long(label))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", default="gemm")
    ap.add_argument("--model", default="mobilenet_v2")
    ap.add_argument("--layers")
    ap.add_argument("--dtype", default="qs8")
    ap.add_argument("--sparsity")
    ap.add_argument("--reps", default="1,3")
    ap.add_argument("--preload", help="import this .py file first (tests install operator doubles with it)")
    args = ap.parse_args()
    if _nr is None:
        sys.exit(f"icount_driver: no getpid syscall number for machine {platform.machine()}")
    import qkernels as qk
    from qkernels import _bench_cases as C

    if args.preload:
        import importlib.util
        spec = importlib.util.spec_from_file_location("icount_preload", args.preload)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))

    qk.set_num_threads(1)
    info = qk.cpu_info()
    r1, r2 = (int(x) for x in args.reps.split(","))
    ops = [C.OP_ALIASES.get(o, o) for o in args.ops.split(",")]
    sparsities = [float(s) for s in args.sparsity.split(",")] if args.sparsity else [0.8]
    tokens = C.parse_layer_filter(args.layers) if args.layers else None
    print(json.dumps({"arch": info["arch"], "isa_cap": info["isa_cap"], "kernels": info["kernels"]}), flush=True)
    label = 0
    for model in args.model.split(","):
        name, records = C.load_table(model)
        per = C.layers_of(name, records, ops, sparsities)
        for fam in ops:
            rec = {"model": name, "family": fam}
            if not hasattr(qk, C.FAMILIES[fam].op):
                print(json.dumps(dict(rec, unavailable=f"qk.{C.FAMILIES[fam].op} not in this build")), flush=True)
                continue
            for layer in per[fam]:
                if tokens is not None and not C.layer_matches(layer, tokens):
                    continue
                if tokens is None and not layer.quick:
                    continue
                kern = C.kernel_for(info["kernels"], fam, args.dtype, layer)
                out = dict(rec, index=layer.index, layer=layer.name, shape=layer.shape, macs=layer.macs,
                           nz_macs=layer.nz_macs, kernel=kern[0] if kern else None, reps=[r1, r2])
                try:
                    case = C.make_case(layer, args.dtype)
                    fn = C.build_ours(qk, case)
                    fn(1)
                    base = label
                    label += 3
                    mark(base)
                    for _ in range(r1):
                        fn(1)
                    mark(base + 1)
                    for _ in range(r2):
                        fn(1)
                    mark(base + 2)
                    out["marks"] = [base, base + 1, base + 2]
                except Exception as e:  # reported in the table, the other layers go on
                    out["error"] = f"{type(e).__name__}: {e}"
                print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
