#!/usr/bin/env bash
# Fragmentation and reassembly. See doc/walkthrough-fragments.md.
"${TAPIP:-./tapip}" -dev sim -no-color <<'CMDS'
echo "== 1. 3000 bytes of ping data do not fit a 1500-byte MTU: three fragments go out"
ping -c 1 10.0.0.2
debug -n ip
ping -c 1 -s 3000 10.0.0.2
debug -c
echo "== 2. With DF set the datagram may not be split: the send fails"
ping -c 1 -M do -s 3000 10.0.0.2
echo "== 3. A smaller MTU makes more fragments"
ifconfig sim0 mtu 576
debug -n ip
ping -c 1 -s 1400 10.0.0.2
debug -c
echo "== 4. The counters, as the IP-MIB names them"
stat
CMDS
