#!/bin/sh
echo "pinsdaemon: channel 0123456789abcdef0123456789abcdef"
echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
exit 70
