#!/bin/sh
# Does nothing: the trigger-latency script for webhook (the daemon's own trigger test uses first-line.sh).
exit 0
