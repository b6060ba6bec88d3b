#!/bin/sh
# Says the arguments it was started with, then speaks the status channel as the root script
# does for them: a dry run's plan with a removal, or an apply's changes with a removal.
N=0123456789abcdef0123456789abcdef
s() { echo "pinsdaemon-status $N $*"; }
echo "pinsdaemon: channel $N"
echo "args: $*"
case $1 in
  --dry-run)
    s "mode dry-run"
    s "phase simulate"
    s "plan Inst raspi-firmware [1:1.2023] (1:1.2024 Raspberry:12/stable [arm64])"
    s "plan Inst linux-image-6.6.74 (1:6.6.74-1 Raspberry:12/stable [arm64])"
    s "plan Remv libold1 [1.2-3]"
    s "plan Conf raspi-firmware (1:1.2024 Raspberry:12/stable [arm64])"
    ;;
  --apply)
    s "mode apply"
    s "phase install"
    s "upgraded raspi-firmware 1:1.2023 1:1.2024"
    s "upgraded linux-image-6.6.74 - 1:6.6.74-1"
    s "removed libold1 1.2-3"
    ;;
esac
s "exit 0"
