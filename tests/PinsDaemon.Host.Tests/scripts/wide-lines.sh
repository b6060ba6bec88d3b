#!/bin/sh
# After a pause (so subscribers are live, not replaying), 100,000 lines of 200
# characters (~20 MB): more than any socket buffer holds.
sleep 1
awk 'BEGIN { s = sprintf("%0200d", 0); for (i = 0; i < 100000; i++) print s }'
