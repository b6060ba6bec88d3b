#!/bin/sh
# Sits in the update phase until stopped, as apt-get update waiting on a slow mirror would.
N=0123456789abcdef0123456789abcdef
s() { echo "pinsdaemon-status $N $*"; }
trap 'kill "$!" 2>/dev/null; echo "stopping"; exit 143' TERM
echo "pinsdaemon: channel $N"
s "phase update"
echo "waiting for the mirror"
sleep 30 &
wait $!
