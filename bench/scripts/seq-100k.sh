#!/bin/sh
# 100,000 lines "1".."100000": each line's text equals its seq, so a client can verify order.
exec seq 1 100000
