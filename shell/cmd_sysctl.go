package shell

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gotapip/gotapip/stack"
)

// knob is one tunable, named as Linux's sysctl names it.
type knob struct {
	name string
	help string
	flag func(s *stack.Stack) *atomic.Bool
}

var knobs = []knob{
	{"net.ipv4.ip_forward", "forward datagrams not addressed to us (router)",
		func(s *stack.Stack) *atomic.Bool { return &s.IP.Forwarding }},
	{"net.ipv4.icmp_echo_ignore_broadcasts", "ignore echo requests to broadcast addresses",
		func(s *stack.Stack) *atomic.Bool { return &s.ICMP.IgnoreBroadcastEcho }},
}

var sysctlCommand = &Command{
	Name:  "sysctl",
	Usage: "[NAME[=VALUE]]",
	Brief: "show or set the stack's tunables (Linux names)",
	Help:  "With no arguments, lists every tunable with its value. NAME=1 or NAME=0 sets a switch.",
	Run:   runSysctl,
}

func runSysctl(ctx context.Context, sh *Shell, args []string) error {
	if len(args) == 0 {
		for _, k := range knobs {
			fmt.Fprintf(sh.Out, "%s = %d\t# %s\n", k.name, boolInt(k.flag(sh.Stack).Load()), k.help)
		}
		return nil
	}
	if len(args) != 1 {
		return usage("one NAME or NAME=VALUE at a time")
	}
	name, value, set := strings.Cut(args[0], "=")
	for _, k := range knobs {
		if k.name != name {
			continue
		}
		f := k.flag(sh.Stack)
		if set {
			v, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || (v != 0 && v != 1) {
				return usage("%s: value %q: want 0 or 1", name, value)
			}
			f.Store(v == 1)
		}
		fmt.Fprintf(sh.Out, "%s = %d\n", k.name, boolInt(f.Load()))
		return nil
	}
	return fmt.Errorf("sysctl: %s: unknown tunable (sysctl lists them)", name)
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
			return usage("ipfwd takes on or off")
		}
		state := "off"
		if f.Load() {
			state = "on"
		}
		fmt.Fprintf(sh.Out, "ip forwarding is %s\n", state)
		return nil
	},
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
