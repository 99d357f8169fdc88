#!/usr/bin/env bash
# ARP: who has, is at, and cache aging. See doc/walkthrough-arp.md.
"${TAPIP:-./tapip}" -dev sim -no-color <<'CMDS'
echo "== 1. The cache starts empty"
arpcache
echo "== 2. A ping needs 10.0.0.2's MAC: watch the request and the reply"
debug -n arp
ping -c 1 10.0.0.2
debug -c
arpcache
echo "== 3. Entries go STALE when unconfirmed (30 s by default; 300 ms here)"
sysctl net.ipv4.neigh.default.base_reachable_time_ms=300
sleep 0.5
arpcache
echo "== 4. A stale entry is still used, and a request re-confirms it"
debug -n arp
ping -c 1 10.0.0.2
sleep 0.2
debug -c
arpcache
echo "== 5. arping asks directly"
arping -c 2 10.0.0.254
echo "== 6. Nobody at 10.0.0.99: 3 requests, then host unreachable"
sysctl net.ipv4.neigh.default.retrans_time_ms=100
ping -c 1 -W 1 10.0.0.99
echo "== 7. Permanent entries never age"
arpcache add 10.0.0.42 02:00:00:00:00:42
arpcache
stat
CMDS
