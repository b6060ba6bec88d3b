#!/bin/sh
echo "pinsdaemon: channel 0123456789abcdef0123456789abcdef"
echo "E: Repository 'http://deb.mirror.example/debian bookworm InRelease' changed its 'Codename' value from 'bookworm' to 'trixie'" >&2; echo "N: This must be accepted explicitly before updates for this repository can be applied." >&2
exit 71
