#!/usr/bin/env bash
# One TCP connection: handshake, data, close; the same with a segment
# lost and retransmitted; then a connect to a host that never answers.
# See doc/walkthrough-tcp.md.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'hello\n' >"$tmp/hello.txt"
# The discard service, not echo: an echo's write would race the arrival
# of our FIN, and the lines would come in either order.
"${TAPIP:-./tapip}" -dev sim -no-color <<CMDS
echo "== 1. One connection to 10.0.0.2's discard service: handshake, data, close"
arping -c 1 10.0.0.2
debug -n tcp
snc -c 10.0.0.2:9 < $tmp/hello.txt
sleep 0.1
debug off
echo "== 2. We closed first, so our end waits in TIME-WAIT (2 MSL: 60 s)"
ss -t
echo "== 3. The same with the data segment lost: netem drops the 3rd frame we send"
netem sim0 loss 25% seed 72
debug -n tcp
snc -c 10.0.0.2:9 < $tmp/hello.txt
sleep 0.1
debug off
netem sim0
netem sim0 off
echo "== 4. A host that never answers: the SYN goes again after 1 s, 2 s, ..."
arpcache add 10.0.0.9 02:00:0a:00:00:09
sysctl net.ipv4.tcp_syn_retries=2
debug -n tcp
snc -c 10.0.0.9:80
debug off
echo "== 5. The web server on port 80, through Go's net/http on our TCP"
curl http://10.0.0.2/
CMDS
