#!/usr/bin/env bash
# bench/icount.sh --cpu cortex-a72,cortex-a76 --ops gemm [--layers ...]: instructions per MAC under qemu.
# See bench/icount.py --help and bench/README.md.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/icount.py" "$@"
