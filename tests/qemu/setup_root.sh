#!/usr/bin/env bash
# setup_root.sh ARCH  (ARCH = aarch64 | armv7)
#
# Build, once, a Debian bookworm root filesystem for the guest architecture
# with python3 + numpy + pytest + hypothesis, for running the test suite under
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

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$STAMP" ]; then
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
log "root ready in $((SECONDS - start)) s: numpy $ver, $(du -sh "$ROOT" | cut -f1)"
echo "$ROOT"
