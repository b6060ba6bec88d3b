#!/bin/sh
# 1,000,000 lines: the issue-4 memory test (RSS must not grow with the line count).
exec seq 1 1000000
