#!/usr/bin/env bash
# Runs every demo in this folder on the simulated LAN (no root needed) and
# checks its output against NAME.expected, after masking what changes from
# run to run (times, RTTs, ages, the ICMP checksums and hex dumps that
# ping's timestamp changes, TCP's ephemeral ports and timestamp values,
# the counts of ACKs and samples tcpgraph reports, which the timing of
# delayed ACKs moves).
# UPDATE=1 rewrites the expected files.
#
#   scripts/demos/run.sh [NAME...]      TAPIP=path/to/tapip (default ./tapip)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export TAPIP=${TAPIP:-./tapip}
[ -x "$TAPIP" ] || { echo "run.sh: no tapip binary at $TAPIP (make build)" >&2; exit 2; }

# mask replaces what differs between runs with X.
mask() {
	sed -E \
		-e 's/time=[0-9.]+ ms/time=X ms/g' \
		-e 's/, time [0-9]+ms/, time Xms/' \
		-e 's#^rtt min/avg/max/mdev = .*#rtt min/avg/max/mdev = X#' \
		-e 's/\]  [0-9.]+ms$/]  Xms/' \
		-e 's/[0-9]+\.[0-9]s$/Xs/' \
		-e '/Type=[0-9]+/s/Checksum=0x[0-9a-f]{4}/Checksum=0xXXXX/' \
		-e 's/^( +[0-9a-f]{4}  )[0-9a-f ]{48} +\|.*\|$/\1(hex: ping data holds a timestamp)/' \
		-e '/^[ 0-9]{2}  /s/  [0-9]+\.[0-9]{3} ms/  X ms/g' \
		-e 's/^(udp  -> -      UDP )[0-9]+( > 33[45][0-9]{2}: length 32)$/\1PORT\2/' \
		-e 's/TS val [0-9]+ ecr [0-9]+/TS val X ecr X/' \
		-e 's/(TCP |> |10\.0\.0\.1:)(49[0-9]{3}|5[0-9]{4}|6[0-5][0-9]{3})\b/\1PORT/g' \
		-e 's/[0-9]+ ACKs, [0-9]+ SACK blocks/N ACKs, N SACK blocks/' \
		-e 's/[0-9]+ samples, cwnd up to [0-9]+ segments/N samples, cwnd up to N segments/' \
		-e 's/[[:space:]]+$//'
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in "$here"/*.sh; do
		n=$(basename "$f" .sh)
		[ "$n" = run ] || names+=("$n")
	done
fi
failed=0
for n in "${names[@]}"; do
	got=$(bash "$here/$n.sh" 2>&1 | mask) || true
	if [ "${UPDATE:-}" = 1 ]; then
		printf '%s\n' "$got" >"$here/$n.expected"
		echo "demo $n: expected output written"
	elif diff -u "$here/$n.expected" <(printf '%s\n' "$got") >"/tmp/demo-$n.diff"; then
		echo "demo $n: ok"
	else
		echo "demo $n: FAILED, output differs (-expected +got):"
		cat "/tmp/demo-$n.diff"
		failed=1
	fi
done
exit $failed
