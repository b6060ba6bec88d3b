# shellcheck shell=bash
# tests/system/lib/repo.sh: the local apt repository of the lab's test packages.
#
#   repo_build DIR   builds version 1 of every test package into DIR/v1/ (installed into a
#                    container before a test) and version 2 into DIR/repo/, a flat apt
#                    repository (Packages, Release) that is the containers' only apt source;
#                    and the full-upgrade set: pinslab-firmware 1 and pinslab-firmware-legacy 1
#                    in DIR/full-v1/ (installed only by the scenario that wants them);
#                    pinslab-firmware 2 in DIR/repo/, depending on pinslab-firmware-blobs, a
#                    new package that conflicts with pinslab-firmware-legacy. So "upgrade"
#                    (apt's, which installs new packages but removes none) keeps it back, and
#                    "full-upgrade" installs the new one and removes the old
#   repo_build_self DIR DEB  the self-upgrade repository DIR/self/: DEB (the pinsdaemon
#                    package under test) repacked as version VERSION+lab2, and pinslab-after
#                    version 2, which depends on it (so dpkg configures the new pinsdaemon
#                    first); pinslab-after version 1 in DIR/self-v1/. Sets REPO_SELF_VERSION.
#
# Each package's postinst is lib/postinst.sh: what it prints, whether it holds, needs a reboot
# or fails is written by the test into the container (see the top of postinst.sh).
# pinslab-data carries 256 KiB of random bytes, so its download takes long enough to be held
# by the slow HTTP server of scenario 6 (lib/slow-repo.mjs).

REPO_PACKAGES=(pinslab-data pinslab-kernel pinslab-service)

repo_build_deb() {
    local package=$1 version=$2 out=$3 depends=${4-} conflicts=${5-} stage
    stage=$(mktemp -d "$out/.stage.XXXXXX")
    mkdir -p "$stage/DEBIAN" "$stage/usr/share/pinslab/$package"
    cat >"$stage/DEBIAN/control" <<EOF
Package: $package
Version: $version
Architecture: all
Maintainer: PinsDaemon lab <lab@pinsdaemon.invalid>${depends:+
Depends: $depends}${conflicts:+
Conflicts: $conflicts}
Section: misc
Priority: optional
Description: PinsDaemon lab test package
 Installed and upgraded by tests/system/ only.
EOF
    sed -e "s/@PACKAGE@/$package/" -e "s/@VERSION@/$version/" "$REPO_LIB/postinst.sh" >"$stage/DEBIAN/postinst"
    chmod 0755 "$stage/DEBIAN/postinst"
    echo "$version" >"$stage/usr/share/pinslab/$package/version"
    if [[ $package == pinslab-data ]]; then
        head -c 262144 /dev/urandom >"$stage/usr/share/pinslab/$package/blob"
    fi
    chmod -R u+rwX,go+rX,go-w "$stage"
    dpkg-deb --root-owner-group -Zgzip -z1 --build "$stage" "$out/${package}_${version}_all.deb" >/dev/null
    local status=$?
    rm -rf -- "$stage"
    return $status
}

repo_build() {
    local dir=$1 package
    mkdir -p "$dir/v1" "$dir/repo"
    for package in "${REPO_PACKAGES[@]}"; do
        repo_build_deb "$package" 1 "$dir/v1" && repo_build_deb "$package" 2 "$dir/repo" || return 1
    done
    mkdir -p "$dir/full-v1"
    repo_build_deb pinslab-firmware 1 "$dir/full-v1" &&
        repo_build_deb pinslab-firmware-legacy 1 "$dir/full-v1" &&
        repo_build_deb pinslab-firmware 2 "$dir/repo" pinslab-firmware-blobs &&
        repo_build_deb pinslab-firmware-blobs 1 "$dir/repo" "" pinslab-firmware-legacy || return 1
    repo_index "$dir/repo" || return 1
    # apt reads the repository as user _apt.
    chmod -R u+rwX,go+rX,go-w "$dir"
}

repo_index() {
    (
        cd "$1" &&
            apt-ftparchive packages . >Packages &&
            apt-ftparchive -o APT::FTPArchive::Release::Origin=pinslab -o APT::FTPArchive::Release::Label=pinslab \
                release . >Release
    )
}

repo_build_self() {
    local dir=$1 deb=$2 stage
    REPO_SELF_VERSION=$(dpkg-deb -f "$deb" Version)+lab2
    mkdir -p "$dir/self" "$dir/self-v1"
    stage=$(mktemp -d "$dir/.stage.XXXXXX")
    # Only the version changes: the new daemon is the same build, installed over the old one.
    dpkg-deb -R "$deb" "$stage" &&
        sed -i "s/^Version: .*/Version: $REPO_SELF_VERSION/" "$stage/DEBIAN/control" &&
        dpkg-deb --root-owner-group -Zgzip -z1 --build "$stage" \
            "$dir/self/pinsdaemon_${REPO_SELF_VERSION}_$(dpkg-deb -f "$deb" Architecture).deb" >/dev/null
    local status=$?
    rm -rf -- "$stage"
    ((status == 0)) || return 1
    repo_build_deb pinslab-after 1 "$dir/self-v1" &&
        repo_build_deb pinslab-after 2 "$dir/self" "pinsdaemon (>= $REPO_SELF_VERSION)" &&
        repo_index "$dir/self" || return 1
    chmod -R u+rwX,go+rX,go-w "$dir/self" "$dir/self-v1"
}

REPO_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
