package shell

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/tcp"
)

// knob is one tunable, named as Linux's sysctl names it, with an integer
// value in [min, max] (switches are 0 or 1).
type knob struct {
	name     string
	help     string
	min, max int
	get      func(s *stack.Stack) int
	set      func(s *stack.Stack, v int)
}

var knobs = []knob{
	{"net.ipv4.ip_forward", "forward datagrams not addressed to us (router)", 0, 1,
		func(s *stack.Stack) int { return boolInt(s.IP.Forwarding.Load()) },
		func(s *stack.Stack, v int) { s.IP.Forwarding.Store(v == 1) }},
	{"net.ipv4.icmp_echo_ignore_broadcasts", "ignore echo requests to broadcast addresses", 0, 1,
		func(s *stack.Stack) int { return boolInt(s.ICMP.IgnoreBroadcastEcho.Load()) },
		func(s *stack.Stack, v int) { s.ICMP.IgnoreBroadcastEcho.Store(v == 1) }},
	{"net.ipv4.icmp_msgs_per_sec", "ICMP errors we may send per second", 1, 1000000,
		func(s *stack.Stack) int { r, _ := s.ICMP.ErrorRate(); return r },
		func(s *stack.Stack, v int) { _, b := s.ICMP.ErrorRate(); s.ICMP.SetErrorRate(v, b) }},
	{"net.ipv4.icmp_msgs_burst", "ICMP errors we may send in a burst", 1, 1000000,
		func(s *stack.Stack) int { _, b := s.ICMP.ErrorRate(); return b },
		func(s *stack.Stack, v int) { r, _ := s.ICMP.ErrorRate(); s.ICMP.SetErrorRate(r, v) }},
	{"net.ipv4.neigh.default.base_reachable_time_ms", "ms an ARP entry stays REACHABLE after confirmation", 100, 3600000,
		func(s *stack.Stack) int { return int(s.ARP.Config().ReachableTime / time.Millisecond) },
		func(s *stack.Stack, v int) { s.ARP.SetTimers(arp.Config{ReachableTime: ms(v)}) }},
	{"net.ipv4.neigh.default.gc_stale_time", "seconds an unconfirmed ARP entry lives", 1, 86400,
		func(s *stack.Stack) int { return int(s.ARP.Config().Lifetime / time.Second) },
		func(s *stack.Stack, v int) { s.ARP.SetTimers(arp.Config{Lifetime: time.Duration(v) * time.Second}) }},
	{"net.ipv4.neigh.default.retrans_time_ms", "ms between ARP requests (broadcast, or unicast probes)", 10, 60000,
		func(s *stack.Stack) int { return int(s.ARP.Config().RetryInterval / time.Millisecond) },
		func(s *stack.Stack, v int) { s.ARP.SetTimers(arp.Config{RetryInterval: ms(v)}) }},
	{"net.ipv4.neigh.default.mcast_solicit", "broadcast ARP requests before an unresolved neighbour is unreachable", 1, 100,
		func(s *stack.Stack) int { return s.ARP.Config().Retries },
		func(s *stack.Stack, v int) { s.ARP.SetTimers(arp.Config{Retries: v}) }},
	{"net.ipv4.neigh.default.ucast_solicit", "unicast ARP probes of a stale neighbour in use before it fails", 1, 100,
		func(s *stack.Stack) int { return s.ARP.Config().UnicastProbes },
		func(s *stack.Stack, v int) { s.ARP.SetTimers(arp.Config{UnicastProbes: v}) }},
	{"net.ipv4.neigh.default.unres_qlen", "packets held for a neighbour ARP has not resolved yet", 1, 10000,
		func(s *stack.Stack) int { return s.ARP.Config().QueueLen },
		func(s *stack.Stack, v int) { s.ARP.SetTimers(arp.Config{QueueLen: v}) }},
	{"net.ipv4.neigh.default.unres_qlen_bytes", "bytes of buffers held for a neighbour ARP has not resolved yet", 2048, 16 << 20,
		func(s *stack.Stack) int { return s.ARP.Config().QueueBytes },
		func(s *stack.Stack, v int) { s.ARP.SetTimers(arp.Config{QueueBytes: v}) }},
	{"net.ipv4.ipfrag_time", "seconds a fragmented datagram may take to complete", 1, 3600,
		func(s *stack.Stack) int { return int(s.IP.Reasm.Config().Timeout / time.Second) },
		func(s *stack.Stack, v int) { s.IP.Reasm.SetTimeout(time.Duration(v) * time.Second) }},
}

var sysctlCommand = &Command{
	Name:  "sysctl",
	Usage: "[-a] [[-w] NAME[=VALUE]]",
	Words: func(*Shell) []string { // Tab completes the names
		names := make([]string, len(knobs))
		for i, k := range knobs {
			names[i] = k.name
		}
		return append(names, tcp.SysctlNames()...)
	},
	Brief: "show or set the stack's tunables (Linux names)",
	Help: `With no arguments (or -a), lists every tunable with its value. NAME=VALUE
(or -w NAME=VALUE) sets one; quote a value with spaces:
net.ipv4.tcp_rmem="4096 131072 6291456". The
TCP tunables (net.ipv4.tcp_*) take effect for connections made from then
on, as on Linux.`,
	Run: runSysctl,
}

func runSysctl(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "aw") // procps' -a and -w, from habit
	if err != nil {
		return err
	}
	args = o.args
	switch {
	case o.has('a') && len(args) > 0:
		return usage("-a lists every tunable: give it no NAME")
	case o.has('w') && (len(args) != 1 || !strings.Contains(args[0], "=")):
		return usage("-w sets a tunable: give NAME=VALUE")
	}
	if len(args) == 0 {
		w := sh.table()
		for _, k := range knobs {
			fmt.Fprintf(w, "%s = %d\t# %s\n", k.name, k.get(sh.Stack), k.help)
		}
		for _, name := range tcp.SysctlNames() {
			v, _ := sh.Stack.TCP.Sysctl(name) // a name of its own list
			fmt.Fprintf(w, "%s = %s\t# %s\n", name, strings.ReplaceAll(v, "\t", " "), tcpSysctlHelp[name])
		}
		return w.Flush()
	}
	if len(args) != 1 {
		return usage(`give one NAME or NAME=VALUE at a time (quote a value with spaces: NAME="4096 131072 6291456")`)
	}
	name, value, set := strings.Cut(args[0], "=")
	if slices.Contains(tcp.SysctlNames(), name) {
		return tcpSysctl(sh, name, value, set)
	}
	for _, k := range knobs {
		if k.name != name {
			continue
		}
		if set {
			v, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || v < k.min || v > k.max {
				return usage("%s: invalid value %s (give %d to %d)", name, value, k.min, k.max)
			}
			k.set(sh.Stack, v)
		}
		fmt.Fprintf(sh.Out, "%s = %d\n", k.name, k.get(sh.Stack))
		return nil
	}
	return fmt.Errorf("cannot stat /proc/sys/%s: No such file or directory (sysctl lists the tunables)", strings.ReplaceAll(name, ".", "/"))
}

// tcpSysctl shows, or sets then shows, one of TCP's tunables, as Linux's
// sysctl prints it (tcp_rmem's three values separated by tabs).
func tcpSysctl(sh *Shell, name, value string, set bool) error {
	if set {
		if err := sh.Stack.TCP.SetSysctl(name, value); errors.Is(err, tcp.ErrReadOnly) {
			return fmt.Errorf("%s is read-only (it lists what tcp_congestion_control takes)", name)
		} else if err != nil {
			why := err // tcp's reason, without its name and value again
			if inner := errors.Unwrap(err); inner != nil {
				why = inner
			}
			want, _, _ := strings.Cut(why.Error(), ", not ")
			return usage("%s: invalid value %s (%s)", name, value, want)
		}
	}
	v, err := sh.Stack.TCP.Sysctl(name)
	if err != nil {
		return err
	}
	fmt.Fprintf(sh.Out, "%s = %s\n", name, v)
	return nil
}

// tcpSysctlHelp says what each of TCP's tunables does, for the listing.
var tcpSysctlHelp = map[string]string{
	"net.ipv4.tcp_syn_retries":                  "SYN retransmissions before a connect times out (1 s, 2 s, 4 s ...)",
	"net.ipv4.tcp_synack_retries":               "SYN-ACK retransmissions before a half-open connection is dropped",
	"net.ipv4.tcp_retries2":                     "data retransmissions before a connection times out",
	"net.ipv4.tcp_sack":                         "offer and accept selective acknowledgements (RFC 2018)",
	"net.ipv4.tcp_timestamps":                   "offer and accept timestamps (RFC 7323: RTT samples, PAWS)",
	"net.ipv4.tcp_window_scaling":               "offer and accept window scaling (RFC 7323)",
	"net.ipv4.tcp_syncookies":                   "SYN cookies: 0 never, 1 when the SYN queue overflows, 2 always",
	"net.ipv4.tcp_max_syn_backlog":              "half-open connections a listener keeps",
	"net.ipv4.tcp_fin_timeout":                  "seconds a closed connection waits in FIN-WAIT-2",
	"net.ipv4.tcp_keepalive_time":               "seconds idle before the first keepalive probe (SO_KEEPALIVE)",
	"net.ipv4.tcp_keepalive_intvl":              "seconds between keepalive probes",
	"net.ipv4.tcp_keepalive_probes":             "unanswered keepalive probes before the connection is dropped",
	"net.ipv4.tcp_rmem":                         "receive buffer bytes: min default max",
	"net.ipv4.tcp_wmem":                         "send buffer bytes: min default max",
	"net.ipv4.tcp_moderate_rcvbuf":              "grow receive buffers to the rate the application reads (autotuning)",
	"net.ipv4.tcp_congestion_control":           "congestion control of new connections: cubic (RFC 9438) or reno (NewReno)",
	"net.ipv4.tcp_available_congestion_control": "the algorithms tcp_congestion_control takes (read-only)",
	"net.ipv4.tcp_pacing_ss_ratio":              "pacing rate in slow start, % of cwnd/srtt (shown by ss -i, not enforced)",
	"net.ipv4.tcp_pacing_ca_ratio":              "pacing rate in congestion avoidance, % of cwnd/srtt",
}

var ipfwdCommand = &Command{
	Name:  "ipfwd",
	Usage: "[on|off]",
	Brief: "show or switch IP forwarding (tapip's ipfwd)",
	Run: func(ctx context.Context, sh *Shell, args []string) error {
		f := &sh.Stack.IP.Forwarding
		switch {
		case len(args) == 1 && args[0] == "on":
			f.Store(true)
		case len(args) == 1 && args[0] == "off":
			f.Store(false)
		case len(args) != 0:
			return usage("%s: unknown form (give on or off)", strings.Join(args, " "))
		}
		state := "off"
		if f.Load() {
			state = "on"
		}
		fmt.Fprintf(sh.Out, "ip forwarding is %s\n", state)
		return nil
	},
}

func ms(v int) time.Duration { return time.Duration(v) * time.Millisecond }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
