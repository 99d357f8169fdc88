#!/usr/bin/env bash
# Routing through a router. See doc/walkthrough-routing.md.
"${TAPIP:-./tapip}" -dev sim -no-color <<'CMDS'
echo "== 1. Our routes: the connected subnet, lo, and the default via the sim's router"
route
echo "== 2. A host behind the router: one hop, so ttl=63"
ping -c 2 -i 0.2 10.0.1.2
echo "== 3. TTL 1 dies at the router, which says so"
ping -c 1 -t 1 10.0.1.2
echo "== 4. Without the default route there is no way there"
route del default
ping -c 1 10.0.1.2
echo "== 5. A route for just that subnet is enough"
route add 10.0.1.0/24 via 10.0.0.254
route
ping -c 1 10.0.1.2
echo "== 6. The router has no route to 10.9.0.0/16: it answers net unreachable"
route add 10.9.0.0/16 via 10.0.0.254
ping -c 1 -W 1 10.9.0.1
echo "== 7. Routes Linux refuses, refused alike: host bits past the prefix, a gateway off the link"
route add 10.8.0.5/16 dev sim0
route add 10.8.0.0/16 via 192.168.1.1
route add 10.8.0.0/16 via 10.0.0.255 dev sim0
CMDS
