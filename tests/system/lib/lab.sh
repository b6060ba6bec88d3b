# shellcheck shell=bash
# tests/system/lib/lab.sh: boot Debian 12 with systemd as PID 1 inside systemd-nspawn and
# drive it, on a host whose own PID 1 need not be systemd (CI). Nothing here knows about
# PinsDaemon: tests/system/lib/pins.sh builds on it, and so can other tests.
#
#   lab_install_deps          apt-get install what the host needs (only what is missing)
#   lab_unavailable           prints why the lab cannot run here and returns 0, or returns 1
#   lab_rootfs                prints the path of the cached root filesystem, built if missing
#   lab_up NAME [ARGS...]     a fresh overlay over the cached root filesystem, booted to
#                             multi-user; ARGS go to systemd-nspawn (e.g. --bind-ro=SRC:DST)
#   lab_boot NAME             boot an existing machine again, same ARGS (after lab_power_cut)
#   lab_exec NAME CMD...      run CMD as root inside the container (all its namespaces, a
#                             clean environment); stdin, stdout, stderr and exit code pass through
#   lab_net NAME CMD...       run a host CMD inside the container's network namespace only: it
#                             sees the container's loopback but the host's files and programs
#   lab_net_background NAME CMD...  the same in the background; LAB_BACKGROUND_PID is CMD's
#                             own pid (a function run with & would leave CMD behind when killed)
#   lab_copy NAME SRC DST     copy a host file or directory to DST (absolute) in the container
#   lab_wait_unit NAME UNIT STATE [SECONDS]   wait until "systemctl is-active UNIT" says STATE
#   lab_power_cut NAME        SIGKILL the container's PID 1: every process dies at once, no
#                             unit is stopped, the next boot gets a new boot id
#   lab_boot_id NAME          the boot id the container sees (a new one at every boot)
#   lab_wait_reboot NAME BOOT_ID [SECONDS]  until NAME has rebooted (a reboot inside the
#                             container boots it again, as systemd-nspawn@.service would) and
#                             runs a boot other than BOOT_ID, up to multi-user
#   lab_down NAME             clean poweroff (SIGKILL after LAB_STOP_TIMEOUT), unmount, remove
#                             its cgroups and files (kept with LAB_KEEP=1)
#   lab_down_all              lab_down every machine of this run
#   wait_for SECONDS WHAT CMD...  run CMD until it succeeds; after SECONDS print WHAT, return 1
#
# A run of the lab lives in one directory, $LAB_RUN_DIR (lab_new_run makes one under
# $LAB_RUN_ROOT); machine NAME in $LAB_RUN_DIR/machines/$LAB_ID-NAME/:
#   upper/ work/   the overlay's writable layer: everything the machine changed, kept across
#                  lab_power_cut and lab_boot, so a power cut loses nothing the kernel had
#   root/          the overlay mount (cached root filesystem below, upper/ on top)
#   nspawn.pid     systemd-nspawn's pid (a new one after each reboot); its child is the
#                  container's PID 1
#   boot.pid       the loop of lab_boot that starts nspawn again after a reboot
#   reboots        one line per reboot from inside the container (seconds after lab_boot)
#   nspawn.args    the extra nspawn arguments, for lab_boot after a power cut
#   console.log    the container's console (systemd's boot messages)
# The machine name, hostname of the nspawn process tree and cgroup are "$LAB_ID-NAME", so two
# runs on one host never collide. Inside, every container's hostname is "pinslab".
#
# What this host needs, and why (found on a 2-core Debian 12 CI machine without systemd):
#  * No systemd as PID 1 on the host: nspawn runs with --register=no (no machined) and
#    --keep-unit (no scope from PID 1). machinectl cannot work, so lab_exec enters the
#    container's namespaces through its PID 1 with nsenter.
#  * cgroups v1/v2 hybrid (v1 controllers and name=systemd, cgroup2 in /sys/fs/cgroup/unified):
#    nspawn creates "payload" and "supervisor" next to the cgroup it starts in; from the root
#    cgroup they would litter the host's root for good. So each machine starts from a cgroup of
#    its own, in every hierarchy nspawn looks at, and lab_down removes it. Inside, systemd runs
#    hybrid with read-only v1 controllers: MemoryMax=, CPUQuota= and the like are NOT enforced in
#    the lab, so do not test them here.
#  * --private-network: the container has only its own loopback. Its services cannot collide
#    with the host's or another container's ports, and it reaches no network at all: apt in it
#    uses only the local repository a test provides.
#  * minbase has no /etc/hosts (sudo then warns "unable to resolve host"): the build writes one
#    for the fixed hostname "pinslab".
#  * mmdebstrap names the Debian sources file 0000debian.sources: the build removes it, so the
#    only apt sources are those a test writes.
#  * Installing systemd-container on the host may upgrade the host's systemd packages (harmless
#    where systemd is not PID 1); --no-install-recommends keeps libnss-mymachines (which edits
#    /etc/nsswitch.conf) off the host.

LAB_SUITE=bookworm
# Cached root filesystems, one per recipe; shared read-only by every run on this host.
LAB_CACHE=${LAB_CACHE:-/var/cache/pinsdaemon-lab}
LAB_RUN_ROOT=${LAB_RUN_ROOT:-/var/tmp}
# A clean poweroff normally takes about 2 s; a unit may legitimately wait longer (dpkg), but
# cleanup after a failed test must not.
LAB_STOP_TIMEOUT=${LAB_STOP_TIMEOUT:-30}
# Boot to multi-user takes under a second on an idle machine; the CI machine is shared.
LAB_BOOT_TIMEOUT=${LAB_BOOT_TIMEOUT:-120}
# What the root filesystem holds besides minbase: systemd as PID 1 (systemd, systemd-sysv,
# dbus for unprivileged systemctl), sudo, the pinsdaemon package's other dependencies (adduser,
# openssl; the container has no Debian mirror), curl, passwd (userdel for the purge) and procps
# (pgrep). Changing this list, the suite, the host's apt sources or LAB_ROOTFS_RECIPE builds a
# new cache entry.
LAB_ROOTFS_PACKAGES=(systemd systemd-sysv dbus sudo curl passwd procps adduser openssl)
# Bump when the build hooks below change.
LAB_ROOTFS_RECIPE=1

lab_say() { echo "lab: $*" >&2; }

# wait_for SECONDS WHAT CMD...: poll CMD (every 0.2 s) until it succeeds.
wait_for() {
    local seconds=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + seconds))
    until "$@"; do
        if ((SECONDS >= deadline)); then
            lab_say "gave up after ${seconds}s waiting for: $what"
            return 1
        fi
        sleep 0.2
    done
}

lab_install_deps() {
    local -A need=([systemd-nspawn]=systemd-container [mmdebstrap]=mmdebstrap
        [apt-ftparchive]=apt-utils [dpkg-deb]=dpkg [nsenter]=util-linux)
    local cmd missing=()
    for cmd in "${!need[@]}"; do
        command -v "$cmd" >/dev/null || missing+=("${need[$cmd]}")
    done
    ((${#missing[@]} == 0)) && return 0
    lab_say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
        { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
}

lab_unavailable() {
    if ((EUID != 0)); then
        echo "not root (systemd-nspawn, mounts and cgroups need root)"
    elif ! command -v systemd-nspawn >/dev/null; then
        echo "systemd-nspawn is not installed (package systemd-container)"
    elif ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
        echo "the kernel has no overlay file system"
    elif [[ ! -d /sys/fs/cgroup ]]; then
        echo "/sys/fs/cgroup is not mounted"
    else
        return 1
    fi
}

# The Debian apt sources of this host, which the root filesystem is built from.
lab_host_sources() {
    local f
    for f in "${LAB_SOURCES-}" /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
        [[ -n $f && -s $f ]] && { echo "$f"; return 0; }
    done
    lab_say "no Debian apt sources found (set LAB_SOURCES to a sources file)"
    return 1
}

lab_rootfs() {
    local sources key dest
    sources=$(lab_host_sources) || return 1
    key=$({
        echo "$LAB_ROOTFS_RECIPE $LAB_SUITE $(dpkg --print-architecture)"
        printf '%s\n' "${LAB_ROOTFS_PACKAGES[@]}"
        cat "$sources"
    } | sha256sum | cut -c1-16)
    dest=$LAB_CACHE/rootfs-$key
    if [[ ! -x $dest/lib/systemd/systemd ]]; then
        mkdir -p "$LAB_CACHE" && chmod 0755 "$LAB_CACHE" || return 1
        # Two labs starting at once build it once.
        (
            flock -w 900 9 || { lab_say "timed out waiting for $LAB_CACHE/.lock"; exit 1; }
            [[ -x $dest/lib/systemd/systemd ]] || lab_build_rootfs "$sources" "$dest"
        ) 9>"$LAB_CACHE/.lock" || return 1
    fi
    echo "$dest"
}

# lab_build_rootfs SOURCES DEST: mmdebstrap into a scratch directory, renamed to DEST when done,
# so a cache entry that exists is complete.
lab_build_rootfs() {
    local sources=$1 dest=$2 tmp=$LAB_CACHE/.build started=$SECONDS packages
    packages=$(IFS=,; echo "${LAB_ROOTFS_PACKAGES[*]}")
    rm -rf -- "$tmp"
    lab_say "building the root filesystem from $sources (takes about a minute)"
    # shellcheck disable=SC2016  # $1 is expanded by mmdebstrap's hook shell
    if ! mmdebstrap --variant=minbase --include="$packages" \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --customize-hook='echo pinslab >"$1/etc/hostname"' \
        --customize-hook='printf "127.0.0.1 localhost\n127.0.1.1 pinslab\n::1 localhost\n" >"$1/etc/hosts"' \
        --customize-hook='rm -f "$1/etc/apt/sources.list.d/0000debian.sources" "$1/etc/apt/sources.list"' \
        "$LAB_SUITE" "$tmp" "$sources" >"$LAB_CACHE/build.log" 2>&1; then
        tail -n 30 "$LAB_CACHE/build.log" >&2
        rm -rf -- "$tmp"
        lab_say "mmdebstrap failed (log: $LAB_CACHE/build.log)"
        return 1
    fi
    mv -T -- "$tmp" "$dest" || return 1
    lab_say "root filesystem built in $((SECONDS - started)) s ($(du -sh "$dest" | cut -f1)): $dest"
}

# lab_new_run: a directory of its own for this run; sets LAB_RUN_DIR and LAB_ID.
lab_new_run() {
    local id tries
    for ((tries = 0; tries < 10; tries++)); do
        id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
        # mkdir is atomic: the id is this run's alone.
        if mkdir -m 0755 "$LAB_RUN_ROOT/pinsdaemon-lab.$id" 2>/dev/null; then
            LAB_RUN_DIR=$LAB_RUN_ROOT/pinsdaemon-lab.$id
            mkdir "$LAB_RUN_DIR/machines"
            lab_id_of_run
            return 0
        fi
    done
    lab_say "cannot create a run directory under $LAB_RUN_ROOT"
    return 1
}

# LAB_ID from LAB_RUN_DIR: "pinslab-" and the directory's random suffix, e.g. pinslab-3f09a1c2.
lab_id_of_run() { LAB_ID=pinslab-${LAB_RUN_DIR##*.}; }

lab_machine() { echo "$LAB_ID-$1"; }
lab_dir() { echo "$LAB_RUN_DIR/machines/$LAB_ID-$1"; }

# Every cgroup hierarchy nspawn looks at: name=systemd and cgroup2 on a hybrid host, or the
# single cgroup2 hierarchy on a pure v2 host.
lab_cgroup_dirs() {
    local machine=$1
    if [[ -d /sys/fs/cgroup/systemd ]]; then
        echo "/sys/fs/cgroup/systemd/$machine"
        [[ -d /sys/fs/cgroup/unified ]] && echo "/sys/fs/cgroup/unified/$machine"
    elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
        echo "/sys/fs/cgroup/$machine"
    fi
}

lab_up() {
    local name=$1 dir rootfs
    shift
    dir=$(lab_dir "$name")
    [[ ! -e $dir ]] || { lab_say "machine $name exists already"; return 1; }
    rootfs=$(lab_rootfs) || return 1
    mkdir -p "$dir/upper" "$dir/work" "$dir/root"
    # The cache stays untouched: every write lands in upper/.
    mount -t overlay "$(lab_machine "$name")" \
        -o "lowerdir=$rootfs,upperdir=$dir/upper,workdir=$dir/work" "$dir/root" ||
        { lab_say "cannot mount the overlay for $name"; return 1; }
    printf '%s\0' "$@" >"$dir/nspawn.args"
    lab_boot "$name"
}

lab_boot() {
    local name=$1 dir machine started args=() cg
    dir=$(lab_dir "$name")
    machine=$(lab_machine "$name")
    [[ -d $dir/root ]] || { lab_say "no machine $name"; return 1; }
    lab_leader "$name" >/dev/null 2>&1 && { lab_say "$name is running already"; return 1; }
    [[ -s $dir/nspawn.args ]] && mapfile -d '' -t args <"$dir/nspawn.args"
    started=$SECONDS
    rm -f -- "$dir/nspawn.pid" "$dir/down"
    (
        for cg in $(lab_cgroup_dirs "$machine"); do
            mkdir -p "$cg"
            echo "$BASHPID" >"$cg/cgroup.procs"
        done
        # A reboot inside the container ends systemd-nspawn --keep-unit with exit status 133,
        # which asks its supervisor to start it again (systemd-nspawn@.service has
        # RestartForceExitStatus=133): here this loop is that supervisor. A poweroff, a power
        # cut or lab_down ends it.
        while :; do
            setsid systemd-nspawn --quiet -D "$dir/root" --machine="$machine" --hostname=pinslab \
                --register=no --keep-unit --private-network --link-journal=no \
                --boot --console=read-only "${args[@]}" </dev/null >>"$dir/console.log" 2>&1 &
            echo $! >"$dir/nspawn.pid"
            wait $!
            status=$?
            [[ $status == 133 && ! -e $dir/down ]] || exit "$status"
            echo "$((SECONDS - started))" >>"$dir/reboots"
        done
    ) &
    echo $! >"$dir/boot.pid"
    if ! wait_for 30 "$name: systemd as the container's PID 1" lab_leader_is_systemd "$name"; then
        tail -n 20 "$dir/console.log" >&2
        return 1
    fi
    if ! wait_for "$LAB_BOOT_TIMEOUT" "$name: boot to multi-user" lab_booted "$name"; then
        tail -n 20 "$dir/console.log" >&2
        return 1
    fi
    if [[ $(lab_exec "$name" systemctl is-system-running) == degraded ]]; then
        lab_say "$name booted degraded:"
        lab_exec "$name" systemctl --failed --no-pager --plain >&2
    fi
    lab_say "$name ($machine) up in $((SECONDS - started)) s"
}

# The container's PID 1 (on the host): the child of systemd-nspawn.
lab_leader() {
    local ns
    ns=$(cat "$(lab_dir "$1")/nspawn.pid" 2>/dev/null) || return 1
    kill -0 "$ns" 2>/dev/null || return 1
    pgrep -P "$ns" | head -n 1 | grep .
}

# "starting" until the boot is done, then "running" or "degraded".
lab_booted() {
    local state
    state=$(lab_exec "$1" systemctl is-system-running 2>/dev/null)
    [[ $state == running || $state == degraded ]]
}

lab_leader_is_systemd() {
    local leader
    leader=$(lab_leader "$1") && [[ $(readlink "/proc/$leader/exe" 2>/dev/null) == */systemd ]]
}

lab_exec() {
    local leader
    leader=$(lab_leader "$1") || { lab_say "$1 is not running"; return 125; }
    shift
    # A clean environment: nothing of the host's shell leaks in.
    nsenter -t "$leader" -a -- /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

lab_net() {
    local leader
    leader=$(lab_leader "$1") || { lab_say "$1 is not running"; return 125; }
    shift
    nsenter -t "$leader" -n -- "$@"
}

lab_net_background() {
    local leader
    leader=$(lab_leader "$1") || { lab_say "$1 is not running"; return 125; }
    shift
    # nsenter execs CMD, so this pid is CMD's.
    nsenter -t "$leader" -n -- "$@" &
    # shellcheck disable=SC2034  # read by the caller
    LAB_BACKGROUND_PID=$!
}

# Through tar and the container's own namespaces, so DST may be anywhere, /run and /tmp
# (tmpfs mounted inside the container) included.
lab_copy() {
    local name=$1 src=$2 dst=$3
    if [[ -d $src ]]; then
        lab_exec "$name" mkdir -p "$dst" && tar -C "$src" -cf - . | lab_exec "$name" tar -C "$dst" -xf - --no-same-owner
    else
        lab_exec "$name" mkdir -p "$(dirname "$dst")" &&
            tar -C "$(dirname "$src")" -cf - --transform "s|^$(basename "$src")\$|$(basename "$dst")|" "$(basename "$src")" |
            lab_exec "$name" tar -C "$(dirname "$dst")" -xf - --no-same-owner
    fi
}

lab_unit_is() { [[ $(lab_exec "$1" systemctl is-active "$2" 2>/dev/null) == "$3" ]]; }

lab_wait_unit() {
    local name=$1 unit=$2 state=$3 seconds=${4:-60}
    wait_for "$seconds" "$unit to be $state in $name" lab_unit_is "$name" "$unit" "$state"
}

lab_nspawn_gone() {
    local ns
    ns=$(cat "$(lab_dir "$1")/nspawn.pid" 2>/dev/null) || return 0
    ! kill -0 "$ns" 2>/dev/null
}

# The boot id the container's own processes see (nspawn mounts a new one over the kernel's at
# every boot of the container).
lab_boot_id() { lab_exec "$1" cat /proc/sys/kernel/random/boot_id 2>/dev/null; }

lab_booted_other_than() {
    local id
    id=$(lab_boot_id "$1") && [[ -n $id && $id != "$2" ]] && lab_booted "$1"
}

# lab_wait_reboot NAME BOOT_ID [SECONDS]: until NAME runs a boot other than BOOT_ID, booted to
# multi-user (systemd-nspawn exits on a reboot and lab_boot's loop starts it again).
lab_wait_reboot() {
    wait_for "${3:-180}" "$1 to reboot (boot id other than $2)" lab_booted_other_than "$1" "$2"
}

lab_boot_loop_gone() {
    local loop
    loop=$(cat "$(lab_dir "$1")/boot.pid" 2>/dev/null) || return 0
    ! kill -0 "$loop" 2>/dev/null
}

lab_power_cut() {
    local leader
    leader=$(lab_leader "$1") || { lab_say "$1 is not running"; return 1; }
    kill -KILL "$leader"
    wait_for 30 "$1: systemd-nspawn to exit after the power cut" lab_nspawn_gone "$1"
}

lab_down() {
    local name=$1 dir machine ns cg
    dir=$(lab_dir "$name")
    machine=$(lab_machine "$name")
    [[ -d $dir ]] || return 0
    if [[ ${LAB_KEEP-} == 1 ]]; then
        lab_say "kept $name running ($machine): tests/system/lab shell $machine"
        return 0
    fi
    # Not booted again should the container be rebooting right now; the second round is for
    # an nspawn that lab_boot's loop started just before it saw this.
    touch "$dir/down"
    for _ in 1 2; do
        if ns=$(cat "$dir/nspawn.pid" 2>/dev/null) && kill -0 "$ns" 2>/dev/null; then
            # nspawn turns SIGTERM into a clean poweroff of the container's systemd.
            kill -TERM "$ns"
            if ! wait_for "$LAB_STOP_TIMEOUT" "$name: clean poweroff" lab_nspawn_gone "$name"; then
                kill -KILL "$ns" 2>/dev/null
                wait_for 10 "$name: systemd-nspawn to exit" lab_nspawn_gone "$name"
            fi
        fi
        wait_for 5 "$name: lab_boot's loop to end" lab_boot_loop_gone "$name" && break
    done
    if mountpoint -q "$dir/root"; then
        umount "$dir/root" 2>/dev/null || umount -l "$dir/root"
    fi
    for cg in $(lab_cgroup_dirs "$machine"); do
        [[ -d $cg ]] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    rm -rf -- "$dir"
}

lab_down_all() {
    local dir
    [[ -d ${LAB_RUN_DIR-}/machines ]] || return 0
    for dir in "$LAB_RUN_DIR"/machines/"$LAB_ID"-*; do
        [[ -d $dir ]] && lab_down "${dir##*/"$LAB_ID"-}"
    done
}
