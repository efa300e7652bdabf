#!/usr/bin/env bash
# Guest instructions per nonzero MAC of the f32_spmm kernels under qemu-user
# (DESIGN.md section 6; /work/shared/tools/qemu-icount).  Needs the cross
# build of tests/qemu/run.sh (build/qemu-ARCH) and the icount plugin.
#   bench/spmm_icount.sh [ARCH CPU KERNEL [SPARSITY [BLOCK [CLAMP]]]]
#   default: aarch64 cortex-a72 f32_spmm_ukernel_64x4__neon 0.8 1 0
#   (BLOCK=4: 4x1 block-sparse weights; CLAMP=1: output clamped to [0, 6])
# Per layer: (count(R2 reps) - count(R1 reps)) / (R2 - R1) is one call;
# the same difference for a 1x1x1 layer (the Python->C call itself) is
# subtracted, and the rest is divided by the nonzero MACs (nnz * H*W).
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:-aarch64} CPU=${2:-cortex-a72} KERNEL=${3:-f32_spmm_ukernel_64x4__neon}
SPARSITY=${4:-0.8} BLOCK=${5:-1} CLAMP=${6:-0}
. tests/qemu/common.sh
arch_vars "$ARCH"
LIB=$(bash /work/shared/tools/qemu-icount/build.sh 2>/dev/null | tail -1)
OUT=$PWD/build/qemu-$ARCH
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
R1=2 R2=6
export PYTHONHASHSEED=0

count() { # cout cin hw reps
    PYTHONPATH=$OUT PYTHONNOUSERSITE=1 "$QEMU" -cpu "$CPU" -plugin "$LIB,out=$TMP/c.txt" -L "$ROOT" \
        "$ROOT/usr/bin/python3" -P bench/spmm_icount.py "$1" "$2" "$3" "$SPARSITY" "$KERNEL" "$4" "$BLOCK" "$CLAMP" > "$TMP/o.txt"
    awk '{print $2}' "$TMP/c.txt"
}

base=$(( ($(count 1 1 1 $R2) - $(count 1 1 1 $R1)) / (R2 - R1) ))
echo "$ARCH $CPU $KERNEL sparsity $SPARSITY block $BLOCK clamp $CLAMP (call overhead $base instructions, subtracted)"
printf '%-16s %10s %12s %10s\n' layer nnz_macs insns/call insns/MAC
for layer in "144 24 3136" "24 144 3136" "96 576 196" "320 960 49" "1280 320 49"; do
    set -- $layer
    c1=$(count "$1" "$2" "$3" $R1)
    macs=$(awk '{print $4}' "$TMP/o.txt")
    c2=$(count "$1" "$2" "$3" $R2)
    per=$(( (c2 - c1) / (R2 - R1) - base ))
    printf '%-16s %10d %12d %10.3f\n' "${1}x${2}x${3}" "$macs" "$per" "$(echo "$per / $macs" | bc -l)"
done
