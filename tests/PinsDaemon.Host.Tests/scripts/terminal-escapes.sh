#!/bin/sh
# Terminal control sequences a package could print: colour (CSI), a title and clipboard write
# (OSC ... BEL), a bare BEL, a carriage return that would overwrite the line, DEL, an 8-bit
# CSI (C1, U+009B as UTF-8), and a TAB, which stays.
printf '\033[31mred\033[0m\n'
printf '\033]0;owned\007title\n'
printf 'ring\007 cr\rover del\177 c1\302\233X tab\there\n'
