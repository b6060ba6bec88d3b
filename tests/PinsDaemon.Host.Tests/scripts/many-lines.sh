#!/bin/sh
# A few thousand lines in bursts, so subscribers join while it runs.
i=1
while [ "$i" -le 3000 ]; do
  echo "line $i"
  if [ $((i % 250)) -eq 0 ]; then sleep 0.05; fi
  i=$((i + 1))
done
