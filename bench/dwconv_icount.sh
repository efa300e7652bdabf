#!/usr/bin/env bash
# Instructions per MAC of depthwise variants under QEMU (deterministic, see
# /work/shared/tools/qemu-icount/README.md and DESIGN.md section 6).
#   bench/dwconv_icount.sh ARCH CPU KERNEL [H W C STRIDE [dtype [mode [clamp]]]]
# (clamp: "full" or "LO,HI", see bench/dwconv_icount.py)
# Needs the cross build of tests/qemu/run.sh (build/qemu-ARCH, or the one in
# QKERNELS_QEMU_OUT, e.g. build/qemu-aarch64-clang) and the plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=$1 CPU=$2 KERNEL=$3 H=${4:-56} W=${5:-56} C=${6:-144} S=${7:-1} DT=${8:-int8} MODE=${9:-fp32} CLAMP=${10:-full}
case $ARCH in aarch64) QEMU=qemu-aarch64 DEB=arm64 ;; armv7) QEMU=qemu-arm DEB=armhf ;; esac
ROOT=${QKERNELS_QEMU_CACHE:-$HOME/.cache/qkernels-qemu}/bookworm-$DEB
LIB=$(/work/shared/tools/qemu-icount/build.sh)
count() {
    local f; f=$(mktemp)
    PYTHONHASHSEED=0 PYTHONPATH=${QKERNELS_QEMU_OUT:-build/qemu-$ARCH} PYTHONNOUSERSITE=1 "$QEMU" -cpu "$CPU" -plugin "$LIB,out=$f" -L "$ROOT" \
        "$ROOT/usr/bin/python3" -P bench/dwconv_icount.py "$H" "$W" "$C" "$S" "$KERNEL" "$1" "$DT" "$MODE" "$CLAMP"
    awk '{print $2}' "$f"; rm -f "$f"
}
R1=1 R2=11
c1=$(count $R1); c2=$(count $R2)
OH=$(( (H + 2 - 3) / S + 1 )) OW=$(( (W + 2 - 3) / S + 1 ))
python3 -c "
macs = $OH * $OW * $C * 9
per = ($c2 - $c1) / ($R2 - $R1)
print(f'$KERNEL ${H}x${W}x${C} s$S $DT $MODE on $CPU: {per:.0f} instructions/call, {per / macs:.3f} per MAC (clamp $CLAMP)')"
