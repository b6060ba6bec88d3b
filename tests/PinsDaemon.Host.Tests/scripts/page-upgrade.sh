#!/bin/sh
# For the page: a dry run finds two packages; an apply changes them, needs a reboot for two
# packages and leaves a service running old code. Speaks ops/system-upgrade.sh's status channel.
N=0123456789abcdef0123456789abcdef
s() { echo "pinsdaemon-status $N $*"; }
echo "pinsdaemon: channel $N"
s "mode ${1#--}"
s "phase update"
echo "Hit:1 http://deb.mirror.example/debian bookworm InRelease"
s "apt dlstatus:1:50.0000:Retrieving file 1 of 2"
s "apt dlstatus:2:100.0000:Retrieving file 2 of 2"
echo "Reading package lists..."
if [ "$1" = "--dry-run" ]; then
  s "phase simulate"
  echo "Inst zip [3.0-13] (3.0-13+deb12u1 Debian-Security:12/stable-security [amd64])"
  echo "Inst sl (5.02-1+b1 Debian:12.11/stable [amd64])"
  echo "Conf zip (3.0-13+deb12u1 Debian-Security:12/stable-security [amd64])"
  echo "Conf sl (5.02-1+b1 Debian:12.11/stable [amd64])"
  echo "1 upgraded, 1 newly installed, 0 to remove and 0 not upgraded."
else
  s "phase download"
  s "apt dlstatus:1:100.0000:Retrieving file 1 of 1"
  s "phase install"
  s "apt pmstatus:zip:40.0000:Preparing to configure zip (amd64)"
  echo "Preparing to unpack .../zip_3.0-13+deb12u1_amd64.deb ..."
  echo "Unpacking zip (3.0-13+deb12u1) over (3.0-13) ..."
  echo "Unpacking sl (5.02-1+b1) ..."
  echo "Setting up zip (3.0-13+deb12u1) ..."
  s "apt pmstatus:zip:80.0000:Installed zip (amd64)"
  s "reboot-required linux-image-amd64 libc6"
  s "restart-service ssh.service"
fi
s "exit 0"
