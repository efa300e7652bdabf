#!/usr/bin/env bash
# The whole test suite, as CI runs it (README "Run the tests"):
#   1. install qkernels with its test dependencies into the current Python
#   2. run pytest natively once per ISA level this CPU has (QKERNELS_ISA=...)
#   2b. the same suite against an AddressSanitizer+UBSan build (tests/sanitize.sh)
#   3. run pytest under QEMU: aarch64 cortex-a72 (NEON), cortex-a76 (dotprod),
#      max (i8mm), armv7 cortex-a7 (tests/qemu/run.sh builds what it needs),
#      then aarch64 max and armv7 cortex-a7 again with clang-built modules,
#      and tools/check_arm_flags.py (the asm files at -O0/-Os/-O3/frame pointers)
#   4. tools/wheel_proof.sh: the release artifacts (sdist, offline gcc/clang
#      wheel builds, numpy 1.26 and 2.x, Arm wheels installed into the QEMU
#      roots and tested there); about 8 minutes
# Options via environment: QKERNELS_SKIP_QEMU=1 skips step 3 and the Arm part
# of step 4; QKERNELS_QEMU_CONFIGS="aarch64:cortex-a72 armv7:cortex-a7:clang ..."
# picks other models and compilers;
# QKERNELS_SKIP_WHEEL_PROOF=1 skips step 4; QKERNELS_SKIP_SANITIZE=1 step 2b.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=${PYTHON:-python3}
declare -a names results times
failed=0

stage() { # name, command...
    local name=$1 t0=$SECONDS rc
    shift
    echo
    echo "################ $name"
    "$@"
    rc=$?
    names+=("$name")
    results+=("$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")")
    times+=("$((SECONDS - t0))")
    [ $rc -eq 0 ] || failed=1
    return 0
}

install() {
    "$PY" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
    # [tflite]: the .tflite loader's optional packages (pure Python), so that
    # tests/test_tflite.py runs.  The TFLite interpreter it compares with
    # (extra [tflite-interpreter]) has binary wheels for fewer platforms than
    # qkernels: without it only the interpreter comparisons skip, saying why.
    "$PY" -m pip install --quiet "$REPO[test,tflite]" || return 1
    "$PY" -m pip install --quiet ai-edge-litert \
        || echo "warning: no ai-edge-litert for this Python/platform; TFLite comparisons will skip"
}

native() { # level
    # From tests/, so the source tree's qkernels/ (no compiled module) does
    # not shadow the installed package.
    (cd "$REPO/tests" && QKERNELS_ISA=$1 "$PY" -m pytest -q -p no:cacheprovider .)
}

stage "install" install
if [ "${results[0]}" != ok ]; then
    echo "installation failed; nothing to test"
    exit 1
fi
levels=$(cd /tmp && "$PY" -c "import qkernels as qk; print(' '.join(l for l, d in qk.cpu_info()['features'].items() if d))")
echo "ISA levels on this machine: $levels"
for level in $levels; do
    stage "native QKERNELS_ISA=$level" native "$level"
done

if [ "${QKERNELS_SKIP_SANITIZE:-0}" != 1 ]; then
    stage "ASan+UBSan build, every level" bash tests/sanitize.sh $levels
fi

if [ "${QKERNELS_SKIP_QEMU:-0}" != 1 ]; then
    # ARCH:CPU[:clang]; the clang builds stand in for Termux (Android) and
    # Apple, whose compiler is clang: same sources, same tests.
    for cfg in ${QKERNELS_QEMU_CONFIGS:-aarch64:cortex-a72 aarch64:cortex-a76 aarch64:max armv7:cortex-a7 aarch64:max:clang armv7:cortex-a7:clang}; do
        IFS=: read -r arch cpu cc <<<"$cfg"
        stage "qemu $arch $cpu${cc:+ ($cc)}" env QKERNELS_QEMU_CC="${cc:-gcc}" bash tests/qemu/run.sh "$arch" "$cpu" -q tests
    done
    # The Arm asm files under the flags users' Pythons pass (-O0, frame
    # pointers, -Os, -O3), with both compilers (installed by the stages above).
    stage "Arm asm under user flags" python3 tools/check_arm_flags.py
fi

if [ "${QKERNELS_SKIP_WHEEL_PROOF:-0}" != 1 ]; then
    # The full suite already ran natively and under QEMU above; against the
    # installed wheels a representative subset proves they work (dispatch,
    # baseline ISA check, no numpy ABI dependency, requantization, and the
    # whole-network tests that run every operator family bit-exactly).
    export QKERNELS_PROOF_PYTEST_ARGS=${QKERNELS_PROOF_PYTEST_ARGS:-"-k 'test_dispatch or test_baseline or no_numpy or test_models or test_requant'"}
    if [ "${QKERNELS_SKIP_QEMU:-0}" != 1 ]; then
        stage "wheel proof" bash tools/wheel_proof.sh
    else
        stage "wheel proof (no Arm)" bash tools/wheel_proof.sh tools sdist offline twine cibw numpy
    fi
fi

echo
echo "################ summary"
for i in "${!names[@]}"; do
    printf '%-34s %-18s %5s s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
done
echo "total ${SECONDS} s"
exit $failed
