#!/bin/sh
# A stand-in for system-upgrade.sh when developing: prints apt-like output for a few
# seconds, touches nothing. It speaks the same status channel (see ops/system-upgrade.sh),
# so progress and the dry run's plan show up in GET /jobs/{id} and on the WebSocket.
# Run the daemon with Upgrade__UseSudo=false and Upgrade__ScriptPath pointing here.
N=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
status() { echo "pinsdaemon-status $N $*"; }
echo "pinsdaemon: channel $N"
status "mode ${1#--}"
status "phase update"
i=1
for repo in bookworm bookworm-updates bookworm-security; do
  echo "Hit:$i http://deb.mirror.example/debian $repo InRelease"
  status "apt dlstatus:$i:$((i * 33)).0000:Retrieving file $i of 3"
  i=$((i + 1))
  sleep 0.5
done
echo "Reading package lists..."
status "phase simulate"
echo "Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.11/stable [all])"
echo "Conf tzdata (2025b-0+deb12u1 Debian:12.11/stable [all])"
echo "W: this is a demo script, nothing was changed" >&2
echo "1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."
status "exit 0"
