#!/bin/sh
# A stand-in for system-upgrade.sh when developing: prints apt-like output, touches nothing.
# It speaks the same status channel (see ops/system-upgrade.sh), so progress, a dry run's
# plan, and an apply's upgraded packages, reboot and restart needs show up in GET /jobs/{id}
# and on the WebSocket as a real run's would. Run the daemon with Upgrade__UseSudo=false and
# Upgrade__ScriptPath pointing here (see the README's quick start).
#
# Like the real script, it stops on SIGTERM (a cancel, a timeout) before the install step,
# and refuses to stop during it ("cancel-refused").
#
# Delay: each step lasts 0.5 s, so a run takes about 3 s. To try a cancel, or a 409, by hand,
# slow it down with a number of seconds per step in fake-upgrade.delay next to this script:
#   echo 10 > ops/dev/fake-upgrade.delay     # about a minute per run
# (A file, not an environment variable: the daemon gives the script a clean environment.)
set -u

DELAY=0.5
DELAY_FILE=$(dirname "$0")/fake-upgrade.delay
if [ -r "$DELAY_FILE" ]; then
  wanted=$(head -c 32 "$DELAY_FILE" | tr -d ' \n')
  case $wanted in
    '' | *[!0-9.]* | *.*.* | .*) echo "fake-upgrade: ignoring $DELAY_FILE: not a number of seconds" >&2 ;;
    *) DELAY=$wanted ;;
  esac
fi

MODE=${1#--}
case $MODE in
  dry-run | apply) ;;
  # POST and DELETE /reboot with Host:AllowReboot=true: nothing reboots here.
  reboot | cancel-reboot) echo "fake-upgrade: would $MODE (shutdown -r +1 / shutdown -c)"; exit 0 ;;
  *) echo "usage: fake-upgrade.sh --dry-run | --apply [--full-upgrade] [--autoremove] | --reboot | --cancel-reboot" >&2; exit 64 ;;
esac

N=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
status() { echo "pinsdaemon-status $N $*"; }

# SIGTERM: stop before the install step, refuse during it (dpkg would be changing the system).
PHASE=starting
on_term() {
  if [ "$PHASE" = install ]; then
    status "cancel-refused"
    echo "pinsdaemon: dpkg is running; not stopping now" >&2
    return
  fi
  echo "pinsdaemon: stopped during $PHASE"
  status "exit 143"
  exit 143
}
trap on_term TERM

# Sleeps in the background so that a SIGTERM is handled at once, not after the sleep; a
# refused one (install) just waits again for what is left of the step.
pause() {
  sleep "$DELAY" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    wait "$pid"
  done
}

phase() {
  PHASE=$1
  status "phase $1"
}

echo "pinsdaemon: channel $N"
status "mode $MODE"
phase update
i=1
for repo in bookworm bookworm-updates bookworm-security; do
  echo "Hit:$i http://deb.mirror.example/debian $repo InRelease"
  status "apt dlstatus:$i:$((i * 33)).0000:Retrieving file $i of 3"
  i=$((i + 1))
  pause
done
echo "Reading package lists..."

if [ "$MODE" = dry-run ]; then
  phase simulate
  pause
  echo "Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.11/stable [all])"
  echo "Inst sl (5.02-1+b1 Debian:12.11/stable [amd64])"
  echo "Conf tzdata (2025b-0+deb12u1 Debian:12.11/stable [all])"
  echo "Conf sl (5.02-1+b1 Debian:12.11/stable [amd64])"
  echo "W: this is a demo script, nothing was changed" >&2
  echo "1 upgraded, 1 newly installed, 0 to remove and 0 not upgraded."
  status "exit 0"
  exit 0
fi

phase download
echo "Get:1 http://deb.mirror.example/debian bookworm/main amd64 tzdata all 2025b-0+deb12u1 [255 kB]"
status "apt dlstatus:1:50.0000:Retrieving file 1 of 2"
pause
echo "Get:2 http://deb.mirror.example/debian bookworm/main amd64 sl amd64 5.02-1+b1 [12.1 kB]"
status "apt dlstatus:2:100.0000:Retrieving file 2 of 2"
echo "Download complete and in download only mode"

phase install
status "apt pmstatus:tzdata:20.0000:Preparing to configure tzdata (all)"
echo "Preparing to unpack .../tzdata_2025b-0+deb12u1_all.deb ..."
echo "Unpacking tzdata (2025b-0+deb12u1) over (2024a-0+deb12u1) ..."
echo "Selecting previously unselected package sl."
echo "Unpacking sl (5.02-1+b1) ..."
status "apt pmstatus:sl:60.0000:Installing sl (amd64)"
pause
echo "Setting up tzdata (2025b-0+deb12u1) ..."
echo "Setting up sl (5.02-1+b1) ..."
status "apt pmstatus:sl:100.0000:Installed sl (amd64)"
PHASE=done
echo "W: this is a demo script, nothing was changed" >&2
status "reboot-required tzdata"
echo "pinsdaemon: a reboot is required (for tzdata)"
status "restart-service cron.service"
status "exit 0"
exit 0
