"""Command line: `python -m qkernels info` (and more subcommands as families land)."""
import argparse
import json
import sys


def _info(args):
    import qkernels as qk

    info = qk.cpu_info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"qkernels {qk.__version__} on {info['arch']}, {info['num_threads']} threads "
          f"({info['available_cpus']} CPUs available)")
    feats = ", ".join(f"{k}{'' if v else ' (no)'}" for k, v in info["features"].items())
    print(f"ISA levels: {feats}; cap: {info['isa_cap']} (set QKERNELS_ISA to lower it)")
    print("kernels:")
    width = max(len(f) for f in info["kernels"])
    for family, name in info["kernels"].items():
        print(f"  {family:<{width}}  {name}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="qkernels", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("info", help="CPU features and the kernel chosen per family")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_info)
    from .bench import add_subparser as _add_bench

    _add_bench(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
