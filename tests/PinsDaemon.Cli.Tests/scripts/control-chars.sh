#!/bin/sh
# Package output that tries to drive the terminal: colours, a window title (OSC), the bell,
# a carriage return that would overwrite the line, a C1 CSI, and a plain line after them.
printf 'red \033[31mtext\033[0m\n'
printf 'title \033]0;owned\007\n'
printf 'bell \007 ring\n'
printf 'overwritten\rshown\n'
printf 'c1 \302\233 31m\n'
printf 'tab\tkept\n'
echo "plain line"
