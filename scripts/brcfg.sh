#!/usr/bin/env bash
# brcfg.sh — tapip's TOP1: the stack's TAP and a real Ethernet interface in
# one bridge, so the stack sits on ETH's LAN as a host of its own.
#
#        LAN ---- ETH --+
#                       +-- BR (no address)
#   tapip -dev tap:TAP -- TAP --+
#
# ETH, TAP and BR are all up and hold no address; the stack owns its own
# address on the LAN (run: tapip -dev tap:TAP -peer none -addr A.B.C.D/NN).
#
# With -m, the macvtap way instead: no TAP and no bridge, but a persistent
# macvtap MVTAP in bridge mode on ETH, which keeps its addresses. (tapip
# -dev macvtap:ETH makes and removes one by itself; -m is for a macvtap
# that outlives tapip.)
#
#        LAN ---- ETH (keeps its address)
#                  +-- MVTAP (macvtap, bridge mode) -- tapip -dev macvtap:MVTAP
#
# iproute2 only (ip link, ip tuntap), no brctl or tunctl.
set -euo pipefail

usage() {
	cat <<USAGE
usage: ${0##*/} open|close|status [ETH] [TAP] [BR]   (defaults: eth0 tap0 br0)
       ${0##*/} -m open|close|status [ETH] [MVTAP]   (defaults: eth0 mvtap0)

  open    create a persistent tap TAP and a bridge BR holding ETH and TAP,
          all three up and unaddressed. ETH's own addresses are REMOVED: on
          a remote machine reached through ETH this drops your connection.
  close   remove BR and TAP; ETH is left a plain interface, unbridged, up.
  status  print what exists.

  -m      the macvtap way: open makes a macvtap MVTAP in bridge mode on
          ETH, up; ETH keeps its addresses and nothing is bridged. close
          deletes it. The host cannot reach the stack through ETH itself
          (bridge-mode macvtap); other hosts on the LAN can, and so can a
          macvlan on ETH (doc/net_topology.md).

open and close need root; running either twice is harmless.
USAGE
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

exists() { ip link show dev "$1" >/dev/null 2>&1; }

# kind_is IFACE KIND: ip -d link shows IFACE as KIND ("bridge", "tun").
kind_is() { ip -d -o link show dev "$1" 2>/dev/null | grep -qw -- "$2"; }

need_root() {
	[[ $(id -u) -eq 0 ]] || die "$1 needs root (it creates and deletes interfaces): sudo $0 $ARGS"
}

cmd_open() {
	need_root open
	exists "$ETH" || die "no interface $ETH (see: ip link show)"
	if exists "$TAP" && ! kind_is "$TAP" tun; then
		die "$TAP exists and is not a tap device; pick another name"
	fi
	if exists "$BR" && ! kind_is "$BR" bridge; then
		die "$BR exists and is not a bridge; pick another name"
	fi

	local addrs
	addrs=$(ip -o addr show dev "$ETH" scope global | awk '{print $4}' | paste -sd ' ' -)
	if [[ -n $addrs ]]; then
		echo "warning: removing $ETH's addresses ($addrs): $ETH joins $BR unaddressed." >&2
		echo "warning: on a remote machine reached through $ETH this drops your connection." >&2
	fi

	if ! exists "$TAP"; then
		ip tuntap add dev "$TAP" mode tap
		ip link set dev "$TAP" addrgenmode none 2>/dev/null || true # no IPv6 link-local either
	fi
	if ! exists "$BR"; then
		ip link add name "$BR" type bridge
		ip link set dev "$BR" addrgenmode none 2>/dev/null || true
	fi
	ip addr flush dev "$ETH"
	ip link set dev "$ETH" master "$BR"
	ip link set dev "$TAP" master "$BR"
	ip link set dev "$ETH" up
	ip link set dev "$TAP" up
	ip link set dev "$BR" up
	echo "bridge $BR up with $ETH and $TAP; run: tapip -dev tap:$TAP -peer none -addr ADDR/LEN"
}

cmd_close() {
	need_root close
	if exists "$BR"; then
		kind_is "$BR" bridge || die "$BR is not a bridge; not deleting it"
		ip link del dev "$BR" # releases its ports
	fi
	if exists "$TAP"; then
		kind_is "$TAP" tun || die "$TAP is not a tap device; not deleting it"
		ip tuntap del dev "$TAP" mode tap
	fi
	if exists "$ETH"; then
		ip link set dev "$ETH" nomaster 2>/dev/null || true
		ip link set dev "$ETH" down
		ip link set dev "$ETH" up
		echo "$ETH is a plain interface again; give it back its address (or run your DHCP client)."
	fi
}

mv_open() {
	need_root open
	exists "$ETH" || die "no interface $ETH (see: ip link show)"
	if exists "$MVTAP"; then
		kind_is "$MVTAP" macvtap || die "$MVTAP exists and is not a macvtap; pick another name"
	else
		ip link add link "$ETH" name "$MVTAP" type macvtap mode bridge
		ip link set dev "$MVTAP" addrgenmode none 2>/dev/null || true
	fi
	ip link set dev "$ETH" up
	ip link set dev "$MVTAP" up
	echo "macvtap $MVTAP up on $ETH; run: tapip -dev macvtap:$MVTAP -addr ADDR/LEN"
	echo "note: this host reaches the stack only through a macvlan on $ETH, not through $ETH itself."
}

mv_close() {
	need_root close
	if exists "$MVTAP"; then
		kind_is "$MVTAP" macvtap || die "$MVTAP is not a macvtap; not deleting it"
		ip link del dev "$MVTAP"
	fi
}

show() {
	local ifc=$1 what=$2
	if exists "$ifc"; then
		printf '%-7s %-8s ' "$what" "$ifc"
		ip -br link show dev "$ifc" | awk '{printf "%s %s", $2, $3}'
		local master
		master=$(ip -o link show dev "$ifc" | grep -o 'master [^ ]*' || true)
		[[ -n $master ]] && printf ' %s' "$master"
		printf ' addr: %s\n' "$(ip -br addr show dev "$ifc" | awk '{$1=$2=""; print $0}' | xargs)"
	else
		printf '%-7s %-8s absent\n' "$what" "$ifc"
	fi
}

cmd_status() {
	show "$ETH" eth
	show "$TAP" tap
	show "$BR" bridge
}

main_macvtap() {
	[[ $# -ge 1 && $# -le 3 ]] || {
		usage >&2
		exit 2
	}
	ETH=${2:-eth0}
	MVTAP=${3:-mvtap0}
	case $1 in
	open) mv_open ;;
	close) mv_close ;;
	status)
		show "$ETH" eth
		show "$MVTAP" macvtap
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main() {
	ARGS=$*
	if [[ ${1:-} == -m ]]; then
		shift
		main_macvtap "$@"
		return
	fi
	[[ $# -ge 1 && $# -le 4 ]] || {
		usage >&2
		exit 2
	}
	local cmd=$1
	ETH=${2:-eth0}
	TAP=${3:-tap0}
	BR=${4:-br0}
	case $cmd in
	open) cmd_open ;;
	close) cmd_close ;;
	status) cmd_status ;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
