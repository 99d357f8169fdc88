#!/usr/bin/env bash
# Congestion control, looked at: 1 MB to the sim's discard service over a
# 20 ms path that loses two of the frames we send (netem, seeded: the
# 47th and the 447th), recorded by tcpgraph and drawn as SVG. Slow start,
# the first loss and its fast recovery, congestion avoidance, the second
# loss. Where the stack has more than one congestion control (sysctl
# net.ipv4.tcp_congestion_control), the same transfer runs under each,
# for pictures side by side. See doc/walkthrough-congestion.md.
#
#   OUT=DIR (default /tmp/tapip-congestion) is where the pictures go;
#   ALGORITHMS="reno cubic" chooses the runs (default: each the stack has).
set -euo pipefail
tapip=$(cd "$(dirname "${TAPIP:-./tapip}")" && pwd)/$(basename "${TAPIP:-./tapip}")
out=${OUT:-/tmp/tapip-congestion}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 1000000 /dev/zero >"$tmp/1mb.bin"
# Before the stack had a choice of algorithm, this demo showed Reno alone.
algorithms=${ALGORITHMS:-reno}
if [ -z "${ALGORITHMS:-}" ] && "$tapip" -dev sim -no-color -c "sysctl net.ipv4.tcp_congestion_control" >/dev/null 2>&1; then
	algorithms="reno cubic"
fi
{
	echo 'echo "== 1. Record the connections established from now on"'
	echo "tcpgraph on"
	echo "arping -c 1 10.0.0.2"
	n=2
	for cc in $algorithms; do
		echo "echo \"== $n. $cc: 1 MB over 20 ms that loses our 47th and 447th frames\""
		if [ "$algorithms" != reno ]; then
			echo "sysctl net.ipv4.tcp_congestion_control=$cc"
		fi
		echo "netem sim0 delay 20 loss 1% seed 39125"
		echo "snc -c 10.0.0.2:9 < $tmp/1mb.bin"
		echo "netem sim0 off"
		echo "tcpgraph -o $cc"
		n=$((n + 1))
	done
} >"$tmp/script"
cd "$out"
"$tapip" -dev sim -no-color <"$tmp/script"
pictures=""
for cc in $algorithms; do
	pictures+=" $cc-seq.svg $cc-cwnd.svg"
done
echo "the pictures, in $out:$pictures"
