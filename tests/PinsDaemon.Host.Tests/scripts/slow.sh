#!/bin/sh
# Runs until stopped (or 60 s), to hold the one-job-at-a-time slot.
echo "started $1"
exec sleep 60
