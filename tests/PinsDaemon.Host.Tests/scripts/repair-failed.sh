#!/bin/sh
echo "pinsdaemon: channel 0123456789abcdef0123456789abcdef"
echo "dpkg: error processing package sl (--configure):" >&2
exit 72
