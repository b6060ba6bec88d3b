#!/bin/sh
echo "pinsdaemon: channel 0123456789abcdef0123456789abcdef"
echo "E: Failed to fetch http://deb.mirror.example/debian/dists/bookworm/InRelease  Could not connect" >&2
exit 71
