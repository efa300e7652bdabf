#!/usr/bin/env bash
# setup_root.sh ARCH  (ARCH = aarch64 | armv7)
#
# Build, once, a Debian bookworm root filesystem for the guest architecture
# with python3 + numpy + pytest + hypothesis (+ flatbuffers and tflite, see
# install_extras), for running the test suite under
# qemu-user (`qemu-aarch64 -L ROOT ROOT/usr/bin/python3 ...`).  The root is
# cached in ${QKERNELS_QEMU_CACHE:-~/.cache/qkernels-qemu}/bookworm-<debarch>
# and prints its path on stdout when ready.
#
# No chroot and no binfmt are needed: debootstrap only runs its first stage
# (download + unpack of the essential set), then every downloaded .deb is
# unpacked with dpkg-deb -x.  Maintainer scripts never run, so the few things
# they would do that we need (the BLAS/LAPACK alternatives) are done by hand.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ $# -eq 1 ] || die "usage: $0 aarch64|armv7"
arch_vars "$1"

SUITE=bookworm
# libpython3.11-dev: the target's Python.h/pyconfig.h for cross_build.py.
PKGS=python3,python3-numpy,python3-pytest,python3-hypothesis,libpython3.11-dev
# Written last, and compared in full: a root that was interrupted, or built
# with another package list, is thrown away and rebuilt.
MARKER=$ROOT/.qkernels-root-complete
STAMP="suite=$SUITE arch=$DEB_ARCH packages=$PKGS layout=2"

# Read the Debian mirror this machine is configured with (deb822 first, then
# the one-line format), so that no mirror host is written into the repo.
# QKERNELS_DEBIAN_MIRROR overrides it.
debian_mirror() {
    if [ -n "${QKERNELS_DEBIAN_MIRROR:-}" ]; then echo "$QKERNELS_DEBIAN_MIRROR"; return; fi
    python3 - <<'EOF'
import glob, re, sys
# deb822: stanzas separated by blank lines; want the 'deb' stanza of the main
# release suite (a suite name without '-', i.e. not -updates / -security).
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        f = {}
        for line in stanza.splitlines():
            m = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
            if m:
                f[m.group(1).lower()] = m.group(2).split()
        if ("deb" in f.get("types", []) and f.get("enabled", ["yes"]) != ["no"]
                and any("-" not in s for s in f.get("suites", [])) and f.get("uris")):
            print(f["uris"][0]); sys.exit(0)
# One-line format: deb [options] URI SUITE COMPONENTS...
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        m = re.match(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+([^\s-]+)\s", line)
        if m:
            print(m.group(1)); sys.exit(0)
sys.exit("no Debian mirror found in /etc/apt/sources.list{,.d/}")
EOF
}

# Serialise concurrent runs on the same root (e.g. two CI jobs on one box).
mkdir -p "$CACHE"
exec 9>"$ROOT.lock"
flock 9

# Extras: the .tflite loader's packages (tests/test_tflite.py), layered onto
# a finished root with their own marker, so that adding them never rebuilds a
# root that other runs (with an older package list) may be using.
# python3-flatbuffers is Debian's (2.0.8, Architecture: all), taken from the
# mirror by the root's own package index and checked against its SHA256;
# `tflite` (TFLite's generated schema classes, pure Python, not packaged by
# Debian) is PyPI's py2.py3-none-any wheel, fetched by the host's pip.  The
# TFLite interpreter (ai-edge-litert) is not installed: the guest's numpy is
# Debian's and the interpreter comparisons skip under QEMU, saying so.
EXTRAS_MARKER=$ROOT/.qkernels-extras
EXTRAS_STAMP="python3-flatbuffers(debian) tflite==2.18.0(pypi) layout=1"
install_extras() {
    if [ -f "$EXTRAS_MARKER" ] && [ "$(cat "$EXTRAS_MARKER")" = "$EXTRAS_STAMP" ]; then
        return 0
    fi
    local tmp mirror
    tmp=$(mktemp -d)
    mirror=$(debian_mirror)
    log "adding python3-flatbuffers and tflite to $ROOT"
    python3 - "$ROOT" "$mirror" "$tmp/flatbuffers.deb" <<'EOF2' || { rm -rf "$tmp"; die "could not fetch python3-flatbuffers"; }
import glob, hashlib, sys, urllib.request
root, mirror, out = sys.argv[1:]
for lst in glob.glob(root + "/var/lib/apt/lists/*_Packages"):
    for stanza in open(lst, encoding="utf-8").read().split("\n\n"):
        f = dict(l.split(": ", 1) for l in stanza.splitlines() if ": " in l and not l.startswith(" "))
        if f.get("Package") == "python3-flatbuffers":
            data = urllib.request.urlopen(mirror.rstrip("/") + "/" + f["Filename"], timeout=120).read()
            if hashlib.sha256(data).hexdigest() != f["SHA256"]:
                sys.exit("python3-flatbuffers: SHA256 mismatch")
            open(out, "wb").write(data)
            sys.exit(0)
sys.exit("python3-flatbuffers is not in the root's package index")
EOF2
    $SUDO dpkg-deb -x "$tmp/flatbuffers.deb" "$ROOT"
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "tflite==2.18.0" \
        || { rm -rf "$tmp"; die "could not download the tflite wheel from PyPI"; }
    mkdir "$tmp/site"
    python3 -m zipfile -e "$tmp"/tflite-*.whl "$tmp/site"
    $SUDO cp -r "$tmp/site/tflite" "$tmp"/site/tflite-*.dist-info "$ROOT/usr/lib/python3/dist-packages/"
    rm -rf "$tmp"
    "$QEMU" -L "$ROOT" "$ROOT/usr/bin/python3" -m compileall -q \
        "$ROOT/usr/lib/python3/dist-packages/flatbuffers" "$ROOT/usr/lib/python3/dist-packages/tflite" >/dev/null \
        || log "warning: some modules did not byte-compile"
    "$QEMU" -L "$ROOT" "$ROOT/usr/bin/python3" -c "import flatbuffers, tflite; tflite.Model" \
        || die "guest python cannot import flatbuffers/tflite"
    echo "$EXTRAS_STAMP" | $SUDO tee "$EXTRAS_MARKER" >/dev/null
}

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$STAMP" ]; then
    install_extras
    log "root cached: $ROOT"
    echo "$ROOT"
    exit 0
fi

need_pkgs debootstrap debian-archive-keyring qemu-user
MIRROR=$(debian_mirror)
start=$SECONDS
log "building $SUITE/$DEB_ARCH root in $ROOT from $MIRROR (a few minutes)"
$SUDO rm -rf "$ROOT"
# First stage only: resolves and downloads the essential set plus $PKGS and
# their dependencies, and unpacks the essential set.  The second stage would
# need to execute guest binaries (chroot + binfmt), which we avoid.
$SUDO debootstrap --foreign --arch="$DEB_ARCH" --variant=minbase \
    --include="$PKGS" "$SUITE" "$ROOT" "$MIRROR" >"$CACHE/debootstrap-$DEB_ARCH.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap-$DEB_ARCH.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap-$DEB_ARCH.log)"; }

debs=("$ROOT"/var/cache/apt/archives/*.deb)
log "unpacking ${#debs[@]} packages"
for deb in "${debs[@]}"; do
    $SUDO dpkg-deb -x "$deb" "$ROOT"
done
# The .debs are no longer needed; they would double the size of the cache.
$SUDO rm -f "${debs[@]}"

# update-alternatives (a maintainer script) normally provides these; numpy's
# _multiarray_umath links against libblas.so.3 / liblapack.so.3.  Relative
# links: an absolute one would be resolved against the *host* by qemu -L.
libdir=$ROOT/usr/lib/$TRIPLET
for lib in libblas.so.3 liblapack.so.3; do
    impl=$(cd "$libdir" && ls -d */"$lib" 2>/dev/null | sort | head -1)
    [ -n "$impl" ] || die "no implementation of $lib in $libdir"
    $SUDO ln -sfn "$impl" "$libdir/$lib"
done

# Without ld.so.cache the guest loader would read the host's (x86) one; an
# empty file makes it use only its default multiarch search path.
$SUDO touch "$ROOT/etc/ld.so.cache"

# Maintainer scripts would have byte-compiled the Python modules; without .pyc
# files every guest run recompiles numpy/pytest/hypothesis under emulation
# (import ~3x slower), and PYTHONDONTWRITEBYTECODE may forbid caching them.
log "byte-compiling the guest's python modules"
"$QEMU" -L "$ROOT" "$ROOT/usr/bin/python3" -m compileall -q -j2 \
    "$ROOT/usr/lib/python3.11" "$ROOT/usr/lib/python3/dist-packages" >/dev/null \
    || log "warning: some modules did not byte-compile"

log "checking the guest python"
ver=$("$QEMU" -L "$ROOT" "$ROOT/usr/bin/python3" -c \
    "import numpy, pytest, hypothesis; print(numpy.__version__)") \
    || die "guest python cannot import numpy/pytest/hypothesis"
echo "$STAMP" | $SUDO tee "$MARKER" >/dev/null
install_extras
log "root ready in $((SECONDS - start)) s: numpy $ver, $(du -sh "$ROOT" | cut -f1)"
echo "$ROOT"
