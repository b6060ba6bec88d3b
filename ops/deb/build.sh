#!/bin/bash
# ops/deb/build.sh: build the Debian package pinsdaemon_<version>_<arch>.deb.
#
#   build.sh --arch amd64|arm64 --out DIR [--publish-dir DIR] [--cli-dir DIR] [--version VERSION]
#
#   --arch         amd64 (daemon published for linux-x64) or arm64 (linux-arm64)
#   --out DIR      where the .deb goes (created if missing)
#   --publish-dir  use this self-contained "dotnet publish" output of the daemon for the
#                  architecture instead of publishing again (CI publishes once per
#                  architecture and reuses it)
#   --cli-dir      the same for the command line pins (ops/publish-cli.sh --output DIR --rid RID)
#   --version      the package version; default: <Version> in Directory.Build.props, the
#                  one place it is kept (tests use this to make a "version 2")
#
# Needs dpkg-deb, readelf and gzip; the .NET 10 SDK unless --publish-dir is given. Runs as
# any user: file ownership in the package is root:root (dpkg-deb --root-owner-group).
# Prints the path of the package on its last line.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly HERE
readonly OPS=${HERE%/deb}
readonly REPO=${OPS%/ops}
readonly PROJECT=$REPO/src/PinsDaemon.Host/PinsDaemon.Host.csproj

die() {
    echo "build.sh: error: $*" >&2
    exit 1
}
say() { echo "build.sh: $*" >&2; }
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

ARCH=""
OUT=""
PUBLISH_DIR=""
CLI_DIR=""
VERSION=""
while (($# > 0)); do
    case $1 in
        --arch | --out | --publish-dir | --cli-dir | --version)
            (($# >= 2)) || die "$1 needs a value"
            case $1 in
                --arch) ARCH=$2 ;;
                --out) OUT=$2 ;;
                --publish-dir) PUBLISH_DIR=$2 ;;
                --cli-dir) CLI_DIR=$2 ;;
                --version) VERSION=$2 ;;
            esac
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            exit 64
            ;;
    esac
    shift
done

case $ARCH in
    amd64) RID=linux-x64 MACHINE='Advanced Micro Devices X86-64' ;;
    arm64) RID=linux-arm64 MACHINE='AArch64' ;;
    *) die "--arch must be amd64 or arm64 (32-bit ARM cannot be built: see the README)" ;;
esac
[[ -n $OUT ]] || die "--out DIR is required"
if [[ -z $VERSION ]]; then
    VERSION=$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' "$REPO/Directory.Build.props" | head -n 1)
    [[ -n $VERSION ]] || die "no <Version> in $REPO/Directory.Build.props"
fi
# Debian version syntax, without an epoch or revision (a native package): digits first.
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "version '$VERSION' is not a Debian native version"
for tool in dpkg-deb readelf gzip md5sum; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg binutils gzip coreutils)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pinsdaemon-deb.XXXXXX")
readonly WORK
trap 'rm -rf -- "$WORK"' EXIT
readonly ROOT=$WORK/root

# --- the daemon -------------------------------------------------------------------------------
if [[ -z $PUBLISH_DIR ]]; then
    command -v dotnet >/dev/null || die "dotnet (the .NET 10 SDK) is missing; or pass --publish-dir"
    say "publishing the daemon for $RID (self-contained)"
    # bin/ and obj/ go to the scratch directory, never into the checkout.
    DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
        dotnet publish "$PROJECT" -c Release -r "$RID" --self-contained \
        --artifacts-path "$WORK/artifacts" -o "$WORK/publish" -v quiet -nologo >&2 ||
        die "dotnet publish failed"
    PUBLISH_DIR=$WORK/publish
fi
[[ -x $PUBLISH_DIR/pinsdaemon ]] || die "$PUBLISH_DIR has no executable 'pinsdaemon'"
machine=$(readelf -h "$PUBLISH_DIR/pinsdaemon" | sed -n 's/^ *Machine: *//p')
[[ $machine == "$MACHINE" ]] || die "$PUBLISH_DIR/pinsdaemon is for '$machine', not $ARCH ($MACHINE)"

install -d -m 0755 "$ROOT/usr/lib/pinsdaemon"
cp -R -- "$PUBLISH_DIR/." "$ROOT/usr/lib/pinsdaemon/"
# Only the programs (pinsdaemon, createdump; pins below) are executable; shared libraries and
# assemblies are data to the loader.
find "$ROOT/usr/lib/pinsdaemon" -type d -exec chmod 0755 {} +
find "$ROOT/usr/lib/pinsdaemon" -type f -exec chmod 0644 {} +
chmod 0755 "$ROOT/usr/lib/pinsdaemon/pinsdaemon"
if [[ -f $ROOT/usr/lib/pinsdaemon/createdump ]]; then chmod 0755 "$ROOT/usr/lib/pinsdaemon/createdump"; fi

# --- the command line, pins ---------------------------------------------------------------
# Next to the daemon, as /usr/bin/pins -> /usr/lib/pinsdaemon/pins: both are self-contained
# publishes for the same RID, so the .NET runtime they share is one copy. pins adds its own
# files; the only file both have with different contents is PinsDaemon.Contracts (the same
# source, compiled ReadyToRun for pins), and the daemon's copy serves both.
if [[ -z $CLI_DIR ]]; then
    say "publishing pins for $RID (self-contained)"
    "$OPS/publish-cli.sh" --output "$WORK/cli" --rid "$RID" >&2 || die "publishing pins failed"
    CLI_DIR=$WORK/cli
fi
[[ -x $CLI_DIR/pins ]] || die "$CLI_DIR has no executable 'pins'"
machine=$(readelf -h "$CLI_DIR/pins" | sed -n 's/^ *Machine: *//p')
[[ $machine == "$MACHINE" ]] || die "$CLI_DIR/pins is for '$machine', not $ARCH ($MACHINE)"
while IFS= read -r -d '' file; do
    relative=${file#"$CLI_DIR"/}
    target=$ROOT/usr/lib/pinsdaemon/$relative
    if [[ ! -e $target ]]; then
        install -D -m 0644 -- "$file" "$target"
    elif ! cmp -s -- "$file" "$target" && [[ $relative != PinsDaemon.Contracts.* ]]; then
        die "$relative differs between the daemon's publish and pins's: were they built from one tree with one SDK?"
    fi
done < <(find "$CLI_DIR" -type f -print0)
find "$ROOT/usr/lib/pinsdaemon" -type d -exec chmod 0755 {} +
chmod 0755 "$ROOT/usr/lib/pinsdaemon/pins"
install -d -m 0755 "$ROOT/usr/bin"
ln -s ../lib/pinsdaemon/pins "$ROOT/usr/bin/pins"

# LightningDB comes only as a dependency of Akka.Cluster.Hosting and is never loaded (the fleet
# keeps its replicated data with its own FileDurableStore). Its native liblmdb.so is built
# against glibc 2.38 and would raise the package's libc6 dependency above Debian 12's.
rm -f -- "$ROOT/usr/lib/pinsdaemon/liblmdb.so"

# --- scripts, units, settings ------------------------------------------------------------
# with_layout SRC DEST MODE: SRC with ops/layout.sh in place of its "# @LAYOUT@" line.
with_layout() {
    local src=$1 dest=$2 mode=$3
    grep -qx '# @LAYOUT@' "$src" || die "$src has no '# @LAYOUT@' line"
    sed -e "/^# @LAYOUT@\$/{r $OPS/layout.sh" -e 'd;}' "$src" >"$dest"
    chmod "$mode" "$dest"
}

install -d -m 0755 "$ROOT/usr/libexec/pinsdaemon" "$ROOT/usr/sbin" "$ROOT/usr/lib/systemd/system" \
    "$ROOT/usr/share/pinsdaemon" "$ROOT/etc/pinsdaemon" "$ROOT/usr/share/doc/pinsdaemon" \
    "$ROOT/usr/share/man/man1" "$ROOT/usr/share/man/man8" "$ROOT/usr/share/lintian/overrides" "$ROOT/DEBIAN"
install -m 0755 "$OPS/system-upgrade.sh" "$ROOT/usr/libexec/pinsdaemon/system-upgrade.sh"
with_layout "$OPS/run-without-systemd.sh" "$ROOT/usr/libexec/pinsdaemon/run-without-systemd" 0755
with_layout "$OPS/pinsdaemon-tls" "$ROOT/usr/sbin/pinsdaemon-tls" 0755
for unit in "$OPS"/*.service "$OPS"/*.socket "$OPS"/*.timer; do
    [[ -e $unit ]] && install -m 0644 "$unit" "$ROOT/usr/lib/systemd/system/"
done
# The sudoers rules are installed into /etc/sudoers.d by the postinst, after visudo -cf.
install -m 0644 "$OPS/sudoers" "$ROOT/usr/share/pinsdaemon/sudoers"
install -m 0644 "$OPS/pinsdaemon.conf" "$ROOT/etc/pinsdaemon/pinsdaemon.conf"

# --- documentation ---------------------------------------------------------------------------
# SOURCE_DATE_EPOCH (else the last commit's time) dates the changelog and every file, so the
# same commit gives the same package.
if [[ -z ${SOURCE_DATE_EPOCH-} ]]; then
    SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
maintainer=$(sed -n 's/^Maintainer: //p' "$HERE/control")
commit=$(git -C "$REPO" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
install -m 0644 "$HERE/copyright" "$ROOT/usr/share/doc/pinsdaemon/copyright"
# Uncompressed: the units' Documentation= lines point at it.
install -m 0644 "$REPO/README.md" "$ROOT/usr/share/doc/pinsdaemon/README.md"
{
    echo "pinsdaemon ($VERSION) stable; urgency=medium"
    echo
    echo "  * Built from commit $commit. The project's history is its git log."
    echo
    echo " -- $maintainer  $(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$ROOT/usr/share/doc/pinsdaemon/changelog.gz"
gzip -9n <"$HERE/pinsdaemon-tls.8" >"$ROOT/usr/share/man/man8/pinsdaemon-tls.8.gz"
gzip -9n <"$HERE/pins.1" >"$ROOT/usr/share/man/man1/pins.1.gz"
install -m 0644 "$HERE/lintian-overrides" "$ROOT/usr/share/lintian/overrides/pinsdaemon"
find "$ROOT/usr/share" -type f -exec chmod 0644 {} +

# --- control ------------------------------------------------------------------------------
for script in postinst prerm postrm; do
    with_layout "$HERE/$script" "$ROOT/DEBIAN/$script" 0755
done
install -m 0644 "$HERE/conffiles" "$ROOT/DEBIAN/conffiles"

# libc6 at the lowest version that has every versioned symbol the native code asks for (what
# dpkg-shlibdeps would find). libgcc-s1 and libstdc++6 are linked too, at versions every
# supported release exceeds; libssl is loaded with dlopen, so the control file names it.
find "$ROOT/usr/lib/pinsdaemon" -type f \( -name '*.so' -o -name pinsdaemon -o -name pins -o -name createdump \) \
    -exec readelf -V --wide {} + >"$WORK/versions"
glibc=$(grep -o 'Name: GLIBC_[0-9.]*' "$WORK/versions" | sed 's/^Name: GLIBC_//' | sort -V | tail -n 1)
[[ -n $glibc ]] || die "found no GLIBC symbol versions in the native libraries"
# Debian 12 and Raspberry Pi OS (bookworm) ship glibc 2.36: a newer requirement would make the
# package uninstallable where it is meant to run.
[[ $(printf '%s\n' "$glibc" 2.36 | sort -V | tail -n 1) == 2.36 ]] ||
    die "a native library needs glibc $glibc, newer than Debian 12's 2.36: $(grep -l "GLIBC_$glibc" "$ROOT"/usr/lib/pinsdaemon/*.so 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')"
native="libc6 (>= $glibc), libgcc-s1, libstdc++6"

installed_size=$(du -s -k --apparent-size --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    -e "s/@NATIVE_DEPENDS@/$native/" "$HERE/control" >"$ROOT/DEBIAN/control"
chmod 0644 "$ROOT/DEBIAN/control"
grep -q "@[A-Z_]*@" "$ROOT/DEBIAN/control" && die "a placeholder is left in DEBIAN/control"

# md5sums of every file but the conffiles (dpkg keeps their sums itself).
(
    cd "$ROOT"
    find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
        xargs -0 md5sum >DEBIAN/md5sums
)
chmod 0644 "$ROOT/DEBIAN/md5sums"
find "$ROOT" -exec touch --no-dereference -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$OUT"
deb=$(cd "$OUT" && pwd -P)/pinsdaemon_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$deb" >&2
say "built $deb ($(du -h "$deb" | cut -f1))"
echo "$deb"
