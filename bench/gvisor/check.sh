#!/bin/sh
# check.sh: gvisor-target against the Linux kernel, in a network namespace
# of its own: kernel -> sink, send -> kernel, and echo with 64 connections
# at once, each with -offload=true and -offload=false. Prints MB/s (and
# the average frame size, which shows whether GSO is in use) and echo
# transactions/s; any failure exits non-zero. Needs root and python3.
#
#   bench/gvisor/check.sh            build bin/gvisor-target, then check it
#   SECS=10 bench/gvisor/check.sh    longer bulk runs (default 5 s)
#   GVISOR_TARGET=path check.sh      check that binary instead of building
set -eu

here=$(cd "$(dirname "$0")" && pwd)
secs=${SECS:-5}
ns=gv-$$
tap=gvt$$
ours=10.77.3.1
kern=10.77.3.2
port=5001
tmp=$(mktemp -d)
target=""

say() { printf '%s\n' "$*"; }
die() { say "check.sh: $*" >&2; exit 1; }

stop_target() {
	if [ -n "$target" ]; then
		kill "$target" 2>/dev/null || true
		wait "$target" || true
		target=""
	fi
}

cleanup() {
	stop_target
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "needs root (network namespaces and /dev/net/tun)"
if [ -n "${GVISOR_TARGET:-}" ]; then
	bin=$GVISOR_TARGET
else
	bin=$here/../../bin/gvisor-target
	(cd "$here" && go build -o "$bin" .) || die "go build failed"
fi

ip netns add "$ns"
ip -n "$ns" link set lo up

# start_target ARGS...: run gvisor-target in the namespace, wait for its
# "ready", then bring the kernel side up as the contract says.
start_target() {
	ip netns exec "$ns" "$bin" -tap "$tap" -addr "$ours/24" "$@" >"$tmp/out" 2>"$tmp/err" &
	target=$!
	tries=0
	until grep -qx ready "$tmp/out"; do
		tries=$((tries + 1))
		if [ "$tries" -gt 100 ] || ! kill -0 "$target" 2>/dev/null; then
			cat "$tmp/err" >&2
			die "gvisor-target $* did not print ready"
		fi
		sleep 0.1
	done
	ip -n "$ns" addr add "$kern/24" dev "$tap"
	ip -n "$ns" link set "$tap" up
}

# expect_clean_exit HOW: the target must have exited 0, saying nothing.
expect_clean_exit() {
	rc=0
	wait "$target" || rc=$?
	target=""
	[ "$rc" = 0 ] || die "gvisor-target exited $rc $1: $(cat "$tmp/err")"
	[ ! -s "$tmp/err" ] || die "gvisor-target complained $1: $(cat "$tmp/err")"
}

stop_expect_clean() {
	kill "$target"
	expect_clean_exit "on SIGTERM"
}

kexec() { ip netns exec "$ns" "$@"; }

for offload in true false; do
	if [ "$offload" = true ]; then frames=gso; else frames=plain; fi

	start_target -offload="$offload" -mode sink -port "$port"
	say "offload=$offload kernel -> gVisor sink: $(kexec python3 "$here/check.py" sink "$ours" "$port" "$secs" "$tap" "$frames")"
	stop_expect_clean

	kexec python3 "$here/check.py" recv "$port" "$secs" "$tap" "$frames" >"$tmp/recv" &
	receiver=$!
	start_target -offload="$offload" -mode send -connect "$kern:$port"
	wait "$receiver" || die "the kernel's receiver failed"
	expect_clean_exit "after sending"
	say "offload=$offload gVisor send -> kernel: $(cat "$tmp/recv")"

	start_target -offload="$offload" -mode echo -port "$port"
	say "offload=$offload echo: $(kexec python3 "$here/check.py" echo "$ours" "$port" 64 200 1024)"
	stop_expect_clean
done
say "check.sh: all passed"
