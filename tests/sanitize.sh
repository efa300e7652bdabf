#!/usr/bin/env bash
# sanitize.sh [LEVEL...]: build the extension with AddressSanitizer +
# UndefinedBehaviorSanitizer (QKERNELS_SANITIZE, see setup.py) into
# build/sanitize and run the native suite against it at each ISA level (default:
# every level this CPU has).  Any report aborts the process (-fno-sanitize-recover),
# so a finding fails the run.  Python itself is not instrumented, hence the
# LD_PRELOAD of the ASan runtime; leak checking is off because CPython keeps
# allocations alive at exit by design.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
OUT=$REPO/build/sanitize
PY=${PYTHON:-python3}
CC=${CC:-gcc}

rm -rf "$OUT/qkernels"
mkdir -p "$OUT"
QKERNELS_SANITIZE=address,undefined "$PY" setup.py -q build_ext --build-lib "$OUT" --build-temp "$OUT/tmp" \
    2>&1 | grep -vE "Warning|warn\(|^\s*$|!!|\*\*\*\*|See https|Please|deprecat|setuptools|########" || true
cp qkernels/*.py "$OUT/qkernels/"
for d in qkernels/*/; do [ -d "$d" ] && cp -r "$d" "$OUT/qkernels/"; done
ls "$OUT"/qkernels/_ext*.so >/dev/null

# Optional benchmark peers and plotting (PyTorch, ONNX Runtime, the TFLite
# interpreter, matplotlib) are not built with ASan
# and abort under its preloaded runtime inside their own code; hide them so
# the suite takes its "peer not installed" paths, as on a machine without them.
for m in torch onnxruntime ai_edge_litert matplotlib; do
    mkdir -p "$OUT/no-peers/$m"
    echo "raise ImportError('$m is hidden in the sanitizer run (not ASan-compatible)')" >"$OUT/no-peers/$m/__init__.py"
done

export LD_PRELOAD=$("$CC" -print-file-name=libasan.so)
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export PYTHONPATH=$OUT/no-peers:$OUT
levels=${*:-$(cd /tmp && "$PY" -c "import qkernels as qk; print(' '.join(l for l, d in qk.cpu_info()['features'].items() if d))")}
rc=0
for level in $levels; do
    echo "=== ASan+UBSan, QKERNELS_ISA=$level"
    (cd tests && QKERNELS_ISA=$level "$PY" -m pytest -q -p no:cacheprovider .) || rc=1
done
exit $rc
