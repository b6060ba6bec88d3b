#!/bin/sh
N=0123456789abcdef0123456789abcdef
s() { echo "pinsdaemon-status $N $*"; }
echo "pinsdaemon: channel $N"
s "mode apply"
s "phase update"
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
s "exit 0"
