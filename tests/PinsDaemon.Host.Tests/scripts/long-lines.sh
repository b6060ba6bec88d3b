#!/bin/sh
# 3,000 numbered lines of 4,000 characters (~12 MB): a log whose pages of 10,000 lines would
# be huge, so a page must end by size.
awk 'BEGIN { s = sprintf("%03995d", 0); for (i = 1; i <= 3000; i++) printf "%04d %s\n", i, s }'
