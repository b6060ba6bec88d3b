#!/bin/sh
# Stdout and stderr interleaved, a line of invalid UTF-8, and a last line without a newline.
echo "mode $1"
sleep 0.2
echo "to stderr" >&2
sleep 0.2
printf 'bad \377\376 bytes\n'
sleep 0.2
echo "caf\303\251"
printf 'last line without newline'
