#!/bin/sh
# One line, at once: trigger -> first line for the daemon, ssh and webhook.
echo started
