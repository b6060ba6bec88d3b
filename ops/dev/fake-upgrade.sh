#!/bin/sh
# A stand-in for system-upgrade.sh when developing: prints apt-like output for a few
# seconds, touches nothing. Run the daemon with Upgrade__UseSudo=false and
# Upgrade__ScriptPath pointing here (see the README's quick start).
echo "pinsdaemon: mode ${1#--}"
echo "pinsdaemon: phase update"
for repo in bookworm bookworm-updates bookworm-security; do
  echo "Hit: http://deb.mirror.example/debian $repo InRelease"
  sleep 0.3
done
echo "Reading package lists..."
echo "pinsdaemon: phase simulate"
echo "Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.11/stable [all])"
echo "Conf tzdata (2025b-0+deb12u1 Debian:12.11/stable [all])"
echo "W: this is a demo script, nothing was changed" >&2
echo "1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."
echo "pinsdaemon: exit 0"
