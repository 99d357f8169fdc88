#!/usr/bin/env bash
# one-ping.sh — one ping on the simulated LAN, every header drawn as its RFC
# diagram with the values filled in, then dumped in hex: the output shown
# and explained in doc/walkthrough-one-ping.md. Needs no root (-dev sim).
#
#   TAPIP=path/to/tapip scripts/demos/one-ping.sh    (default: ./tapip)
#
# What varies from run to run: the ping's time, the timestamp at the start
# of the echo data and so the ICMP checksum, and where the ping's own lines
# fall among the debug lines (the debug printer runs beside the command).
set -euo pipefail

tapip=${TAPIP:-./tapip}
exec "$tapip" -dev sim -c "debug -n -x l2 arp ip icmp; ping -c 1 10.0.0.2; debug -c"
