#!/usr/bin/env bash
# Names on the simulated LAN: its router answers DNS for host.sim,
# router.sim and far.sim; Go's resolver asks it through the stack's UDP.
"${TAPIP:-./tapip}" -dev sim -no-color <<'CMDS'
echo "== 1. The name server: on the sim, the router (tapip -dns IP picks another)"
resolv
echo "== 2. host asks it, as host(1)"
host host.sim
host far.sim 10.0.0.254
echo "== 3. A name the zone does not have, and one outside it"
host nosuch.sim
host example.com
echo "== 4. ping and traceroute take names (curl URLs too)"
ping -c 1 far.sim
traceroute -q 1 far.sim
ping -c 1 nosuch.sim
echo "== 5. A host with no name server: its port unreachable answers the query"
host host.sim 10.0.0.2
CMDS
