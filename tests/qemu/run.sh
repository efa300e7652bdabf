#!/usr/bin/env bash
# run.sh ARCH CPU [pytest args...]     e.g. tests/qemu/run.sh aarch64 cortex-a72 -q tests
#
# Run the project's pytest suite on an emulated Arm CPU: makes the guest root
# (setup_root.sh, cached), cross-builds qkernels into build/qemu-ARCH
# (cross_build.py, incremental), then runs the guest's python3 -m pytest under
# qemu-user with that CPU model.  Exits with pytest's exit code.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ $# -ge 2 ] || die "usage: $0 aarch64|armv7 CPU [pytest args...]  (CPU: see qemu-aarch64 -cpu help)"
ARCH=$1 CPU=$2
shift 2
[ $# -gt 0 ] || set -- -q tests
arch_vars "$ARCH"
# QKERNELS_QEMU_CC=clang cross-builds with clang --target instead of the GNU
# cross gcc (Termux on Android and Apple build with clang).
CC_KIND=${QKERNELS_QEMU_CC:-gcc}
case $CC_KIND in gcc) SUFFIX= ;; clang) SUFFIX=-clang ;; *) die "QKERNELS_QEMU_CC must be gcc or clang, not '$CC_KIND'" ;; esac
OUT=${QKERNELS_QEMU_OUT:-$REPO/build/qemu-$ARCH$SUFFIX}
t0=$SECONDS

case $ARCH in
    aarch64) need_pkgs qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross ;;
    armv7) need_pkgs qemu-user gcc-arm-linux-gnueabihf libc6-dev-armhf-cross ;;
esac
[ "$CC_KIND" = clang ] && need_pkgs clang
# (`qemu -cpu help` exits 1, hence the `|| true`.)
cpus=$("$QEMU" -cpu help | awk 'NR > 1 {print $1}' || true)
grep -qx -- "$CPU" <<<"$cpus" || die "$QEMU has no CPU model '$CPU'; it has: $(echo $cpus)"
# Cython runs on the host; the python-native machines ship it, others get it from PyPI.
python3 -c 'import Cython' 2>/dev/null || { log "pip install Cython"; python3 -m pip install -q 'Cython>=3'; }

echo "=== qkernels under QEMU: arch=$ARCH cpu=$CPU ($("$QEMU" --version | head -1))"
echo "=== root=$ROOT  build=$OUT ($CC_KIND)  repo=$REPO"
"$QEMU_DIR/setup_root.sh" "$ARCH" >/dev/null
t1=$SECONDS
if [ -n "${QKERNELS_QEMU_SITE:-}" ]; then
    # Test an installed qkernels (a wheel pip-installed with --target into
    # this directory by tools/wheel_proof.sh) instead of a cross build.
    [ -f "$QKERNELS_QEMU_SITE/qkernels/__init__.py" ] || die "no qkernels package in QKERNELS_QEMU_SITE=$QKERNELS_QEMU_SITE"
    OUT=$(cd "$QKERNELS_QEMU_SITE" && pwd)
    echo "=== testing the installed package in $OUT (no cross build)"
else
    python3 "$QEMU_DIR/cross_build.py" --arch "$ARCH" --sysroot "$ROOT" --out "$OUT" --cc "$CC_KIND"
fi
t2=$SECONDS

# The guest python as a host command: run below, and made sys.executable of
# every guest python by sitecustomize.py, so tests' subprocesses work too.
guest_python=$(printf '%q ' "$QEMU" -cpu "$CPU" -L "$ROOT" "$ROOT/usr/bin/python3")
PYWRAP=${QKERNELS_QEMU_OUT:-$REPO/build/qemu-$ARCH$SUFFIX}/python3-$CPU
mkdir -p "$(dirname "$PYWRAP")"
printf '#!/bin/bash\nexec %s"$@"\n' "$guest_python" >"$PYWRAP"
chmod +x "$PYWRAP"

# Guest environment: qemu passes ours through.  $QEMU_DIR brings qemu_plugin
# and sitecustomize.  -P keeps `python -m` from putting the repo root (with the
# host-only ./qkernels) first on sys.path; qemu_plugin then pins qkernels to
# the cross build.  No user site (host pip --user packages are x86) and no
# host loader variables.
cd "$REPO"
export QKERNELS_QEMU_CPU=$CPU QKERNELS_UNDER_QEMU=1 QKERNELS_QEMU_PYTHON=$PYWRAP
export PYTHONPATH=$OUT:$QEMU_DIR PYTHONNOUSERSITE=1
unset PYTHONHOME LD_PRELOAD LD_LIBRARY_PATH
echo "=== ${guest_python}-P -m pytest -p no:cacheprovider -p qemu_plugin $*"
set +e
"$PYWRAP" -P -m pytest -p no:cacheprovider -p qemu_plugin "$@"
rc=$?
set -e
echo "=== $ARCH/$CPU: pytest exit $rc; elapsed $((SECONDS - t0)) s (root $((t1 - t0)) s, build $((t2 - t1)) s, tests $((SECONDS - t2)) s)"
exit $rc
