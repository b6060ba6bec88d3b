#!/bin/bash
# ops/install.sh: build the pinsdaemon package for this machine and install it with apt-get,
# from a clone (the package is the one way PinsDaemon is installed; this is a shortcut for
# ops/deb/build.sh followed by "apt-get install ./pinsdaemon_<version>_<arch>.deb").
#
#   sudo ops/install.sh [--publish-dir DIR]
#
#   --publish-dir DIR  package this self-contained publish of the daemon (for this
#                      machine's architecture) instead of running "dotnet publish"
#
# Safe to run again: an upgrade or reinstall keeps the token, the settings and the history.
# Remove with "apt remove pinsdaemon" (keeps token and history) or "apt purge pinsdaemon".
set -euo pipefail

OPS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly OPS

die() {
    echo "install: error: $*" >&2
    exit 1
}

BUILD_ARGS=()
case ${1-} in
    "") ;;
    --publish-dir)
        (($# == 2)) || die "--publish-dir needs a value"
        BUILD_ARGS=(--publish-dir "$2")
        ;;
    -h | --help)
        sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        sed -n '6,9p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 64
        ;;
esac

((EUID == 0)) || die "run as root (sudo ops/install.sh)"
command -v apt-get >/dev/null || die "apt-get is missing: the package is for Debian and its derivatives"
arch=$(dpkg --print-architecture)
case $arch in
    amd64 | arm64) ;;
    *) die "no package for '$arch': only amd64 and arm64 (64-bit OS) are served; see the README's install section" ;;
esac

out=$(mktemp -d /tmp/pinsdaemon-install.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
# _apt reads the package from here when apt-get installs a local file.
chmod 0755 "$out"
deb=$("$OPS/deb/build.sh" --arch "$arch" --out "$out" "${BUILD_ARGS[@]}" | tail -n 1)
DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-noninteractive} apt-get install -y "$deb"
