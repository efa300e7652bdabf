#!/usr/bin/env bash
# build.sh [OUTDIR]: build the qkernels icount plugin (icount.c) for the installed qemu-user.
#
# Prints the path of libqkicount.so.  Works from a fresh Debian/Ubuntu machine:
#   - installs qemu-user and gcc with apt-get when missing (root or sudo);
#   - takes the plugin API header, qemu-plugin.h, from the source package of
#     the installed qemu (`apt-get source`, adding a deb-src entry for the
#     configured mirror when there is none), since no binary package ships it,
#     and caches it; QEMU_PLUGIN_H=/path/to/qemu-plugin.h skips the download;
#   - rebuilds only when icount.c or the header changed.
# Default OUTDIR: ${XDG_CACHE_HOME:-~/.cache}/qkernels-icount
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/qkernels-icount}
mkdir -p "$OUT"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
log() { printf '[icount build] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "need ${missing[*]} (no apt-get here: install them by hand)"
    log "apt-get install ${missing[*]}"
    $SUDO apt-get update -qq >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

apt_install qemu-user gcc libc6-dev pkg-config
QEMU_VER=$(dpkg-query -W -f='${Version}' qemu-user)
SRC_VER=$(dpkg-query -W -f='${source:Version}' qemu-user)
HDR=$OUT/qemu-plugin.h
STAMP=$OUT/qemu-plugin.h.version

if [ -n "${QEMU_PLUGIN_H:-}" ]; then
    [ -f "$QEMU_PLUGIN_H" ] || die "QEMU_PLUGIN_H=$QEMU_PLUGIN_H does not exist"
    cp "$QEMU_PLUGIN_H" "$HDR"
    echo "given" > "$STAMP"
elif [ ! -f "$HDR" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$SRC_VER" ]; then
    # deb-src for the same mirrors as the binary entries, if there is none yet.
    if [ -z "$(apt-cache showsrc qemu 2>/dev/null | head -1)" ]; then
        log "adding deb-src entries (apt sources of the configured mirrors)"
        if [ -f /etc/apt/sources.list.d/debian.sources ] || ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
            for f in /etc/apt/sources.list.d/*.sources; do
                grep -q '^Types:.*\bdeb\b' "$f" || continue
                sed -E 's/^Types:.*/Types: deb-src/' "$f" | $SUDO tee "/etc/apt/sources.list.d/zz-qkernels-src-$(basename "$f")" >/dev/null
            done
        fi
        if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
            grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee /etc/apt/sources.list.d/zz-qkernels-src.list >/dev/null
        fi
        $SUDO apt-get update -qq >&2
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    log "apt-get source qemu=$SRC_VER (for include/qemu/qemu-plugin.h)"
    (cd "$work" && apt-get source --download-only "qemu=$SRC_VER" >/dev/null 2>&1) ||
        (cd "$work" && apt-get source --download-only qemu >/dev/null 2>&1) ||
        die "apt-get source qemu failed (no deb-src reachable?); set QEMU_PLUGIN_H=/path/to/qemu-plugin.h"
    orig=$(ls "$work"/qemu_*.orig.tar.* 2>/dev/null | head -1)
    [ -n "$orig" ] || die "no qemu orig tarball in the source package"
    tar -xf "$orig" -C "$work" --wildcards '*/include/qemu/qemu-plugin.h'
    cp "$(ls "$work"/*/include/qemu/qemu-plugin.h | head -1)" "$HDR"
    echo "$SRC_VER" > "$STAMP"
fi

LIB=$OUT/libqkicount.so
if [ ! -f "$LIB" ] || [ "$HERE/icount.c" -nt "$LIB" ] || [ "$HDR" -nt "$LIB" ]; then
    cflags=()
    if grep -q '#include <glib.h>' "$HDR"; then  # QEMU >= 8.1 headers use glib types
        apt_install libglib2.0-dev
        read -r -a cflags <<<"$(pkg-config --cflags glib-2.0)"
    fi
    log "gcc icount.c (qemu-user $QEMU_VER, plugin API $(awk '/#define QEMU_PLUGIN_VERSION/ {print $3}' "$HDR"))"
    gcc -O2 -Wall -shared -fPIC -fvisibility=hidden -I"$OUT" "${cflags[@]}" "$HERE/icount.c" -o "$LIB.tmp"
    mv "$LIB.tmp" "$LIB"
fi
echo "$LIB"
