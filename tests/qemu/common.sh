# Shared helpers for the QEMU harness; sourced by setup_root.sh and run.sh.
# shellcheck shell=bash

QEMU_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The repo whose package is built and tested; overridable to test the harness
# itself against a scratch copy.
REPO=${QKERNELS_REPO:-$(cd "$QEMU_DIR/../.." && pwd)}
CACHE=${QKERNELS_QEMU_CACHE:-$HOME/.cache/qkernels-qemu}

# Run privileged steps directly as root (CI), through sudo elsewhere.
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

log() { printf '[qemu %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# arch_vars ARCH: set DEB_ARCH, TRIPLET, QEMU for one of our two Arm targets.
arch_vars() {
    case "$1" in
        aarch64) DEB_ARCH=arm64 TRIPLET=aarch64-linux-gnu QEMU=qemu-aarch64 ;;
        armv7) DEB_ARCH=armhf TRIPLET=arm-linux-gnueabihf QEMU=qemu-arm ;;
        *) die "unknown ARCH '$1' (want aarch64 or armv7)" ;;
    esac
    ROOT=$CACHE/bookworm-$DEB_ARCH
}

# need_pkgs PKG...: apt-get install the Debian packages that are not installed.
# CI starts from a fresh machine without them; 'apt-get update' runs at most
# once per harness run, and only when something has to be installed.
need_pkgs() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ -z "${QK_APT_UPDATED:-}" ]; then
        log "apt-get update (to install ${missing[*]})"
        $SUDO apt-get update -qq >&2
        export QK_APT_UPDATED=1
    fi
    log "apt-get install ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
