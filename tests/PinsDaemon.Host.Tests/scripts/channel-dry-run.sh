#!/bin/sh
# Speaks ops/system-upgrade.sh's status channel: phases, apt progress, a plan.
N=0123456789abcdef0123456789abcdef
s() { echo "pinsdaemon-status $N $*"; }
sleep 1.5
echo "pinsdaemon: channel $N"
s "mode dry-run"
s "phase update"
echo "Hit:1 http://deb.mirror.example/debian bookworm InRelease"
s "apt dlstatus:1:50.0000:Retrieving file 1 of 2"
sleep 0.2
s "apt dlstatus:2:100.0000:Retrieving file 2 of 2"
echo "Reading package lists..."
s "phase simulate"
echo "Inst zip [3.0-13] (3.0-13+deb12u1 Debian-Security:12/stable-security [amd64])"
echo "Inst sl (5.02-1+b1 Debian:12.11/stable [amd64])"
echo "Conf zip (3.0-13+deb12u1 Debian-Security:12/stable-security [amd64])"
echo "Conf sl (5.02-1+b1 Debian:12.11/stable [amd64])"
echo "1 upgraded, 1 newly installed, 0 to remove and 0 not upgraded."
# A package printing a status line without the nonce cannot forge one.
echo "pinsdaemon-status ffffffffffffffffffffffffffffffff phase install"
s "exit 0"
