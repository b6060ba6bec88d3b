#!/bin/sh
# Stands in for the root script's reboot forms (says what it was asked, exits 0); a run sleeps
# until it is cancelled.
case $1 in
  --reboot | --cancel-reboot)
    echo "asked: $1"
    exit 0
    ;;
esac
trap 'exit 143' TERM
echo "running $1"
sleep 60 &
wait $!
