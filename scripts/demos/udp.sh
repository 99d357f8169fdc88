#!/usr/bin/env bash
# UDP and port unreachable, then traceroute. See doc/walkthrough-udp.md.
"${TAPIP:-./tapip}" -dev sim -no-color <<'CMDS'
echo "== 1. No sockets open: each udp command opens its own and closes it"
udp
echo "== 2. A datagram to 10.0.0.2's echo service (port 7); -r waits for the echo"
debug -n udp icmp
udp send -p 5000 -r 10.0.0.2:7 hello
echo "== 3. Nothing listens on 10.0.0.2's port 9: it answers ICMP port unreachable"
udp send -p 5001 -r 10.0.0.2:9 hello
echo "== 4. Without -r the socket is closed when the echo comes: now we answer port unreachable"
udp send -p 5002 10.0.0.2:7 hi
sleep 0.2
debug -c
echo "== 5. The counters: one datagram delivered, one to a port with no socket"
udp -s
echo "== 6. traceroute: UDP probes with TTL 1, 2, ...; routers answer time exceeded"
debug -n udp icmp
traceroute -q 1 10.0.1.2
debug -c
traceroute 10.0.1.2
echo "== 7. A net the router cannot reach: its net unreachable ends the trace (!N)"
route add 10.9.0.0/16 via 10.0.0.254
traceroute -q 2 10.9.9.9
CMDS
