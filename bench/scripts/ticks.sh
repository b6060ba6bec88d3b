#!/bin/bash
# Line latency: after a 1 s pause (time for the subscribers to connect), prints the wall-clock
# time in nanoseconds every 10 ms, 300 times (~3 s). date takes the time just before it
# writes, so "receipt time - text" is the print-to-receipt latency on this machine's clock.
sleep 1
for ((i = 0; i < 300; i++)); do
    date +%s%N
    sleep 0.01
done
