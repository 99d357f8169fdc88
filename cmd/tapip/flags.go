package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/stack"
)

// options are the command line, parsed and checked.
type options struct {
	spec       stack.DeviceSpec
	devDefault bool // -dev not given: with no TAP at all here, fall back to sim
	dev        stack.DeviceOptions
	gw         netip.Addr // invalid: none given
	dns        netip.Addr // invalid: none given (the sim's router on the sim)
	commands   string
	noColor    bool
}

const usageLine = `usage: tapip [-dev SPEC] [-addr CIDR] [-gw IP] [-dns IP] [-peer CIDR|none]
             [-hwaddr MAC] [-mtu N] [-c "CMD; CMD"] [-no-color] [-poll auto|sleep|busy]
             [-offload=true|false]`

// flagValues are the flags as typed, before they are checked.
type flagValues struct {
	dev, addr, gw, dns, peer, hwaddr, mtu, poll string
	offload                                     bool
}

// newFlagSet declares tapip's flags; its output is discarded (run prints
// the errors and the usage itself, in tapip's form).
func newFlagSet(v *flagValues, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("tapip", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&v.dev, "dev", "tap:tap0", "the device `SPEC`: tap:NAME, packet:IFACE, macvtap:IFACE, netmap:IFACE or sim (the simulated LAN)")
	fs.StringVar(&v.addr, "addr", "10.0.0.1/24", "the stack's IPv4 address with its prefix, a `CIDR`")
	fs.StringVar(&v.gw, "gw", "", "default gateway `IP`, on the -addr subnet")
	fs.StringVar(&v.dns, "dns", "", "the name server's `IP` (resolv changes it; on the sim, the router's by default)")
	fs.StringVar(&v.peer, "peer", "10.0.0.2/24", "with tap: the kernel side's address, a `CIDR`, or none (bridged)")
	fs.StringVar(&v.hwaddr, "hwaddr", "", "the stack's `MAC` (default 02:00 + the IPv4 address)")
	fs.StringVar(&v.mtu, "mtu", "1500", "the device's MTU, `N` bytes")
	fs.StringVar(&o.commands, "c", "", "run these `CMDS`, separated by ';', and exit")
	fs.BoolVar(&o.noColor, "no-color", false, "never colour the output")
	fs.StringVar(&v.poll, "poll", "auto", "how a TAP waits for frames, `MODE`: auto (spin 50 µs after a frame, then sleep in poll(2)), sleep (at once) or busy (spin for 10 ms)")
	fs.BoolVar(&v.offload, "offload", true, "with tap: checksum and TCP segmentation offloads through the kernel (64 KB segments; false: plain frames)")
	return fs
}

// printUsage writes the usage line and, if all, every flag with its
// default (tapip -h); a flag error gets the line and a pointer to -h.
func printUsage(w io.Writer, all bool) {
	if !all {
		fmt.Fprintf(w, "%s\n(tapip -h explains each flag)\n", usageLine)
		return
	}
	var v flagValues
	var o options
	fs := newFlagSet(&v, &o)
	fs.SetOutput(w)
	fmt.Fprintln(w, usageLine)
	fs.PrintDefaults()
}

// parseFlags parses and checks the command line. Its errors are flag
// errors: run prints them with the usage and exits 2. -h returns
// flag.ErrHelp.
func parseFlags(args []string) (options, error) {
	var v flagValues
	var o options
	fs := newFlagSet(&v, &o)
	if err := fs.Parse(args); err != nil {
		return o, flagError(err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%s: unexpected argument (commands go in -c \"CMD; CMD\")", fs.Arg(0))
	}
	o.devDefault = true
	peerGiven := false
	fs.Visit(func(f *flag.Flag) {
		o.devDefault = o.devDefault && f.Name != "dev"
		peerGiven = peerGiven || f.Name == "peer"
	})
	if err := v.check(&o); err != nil {
		return o, err
	}
	if peerGiven && o.spec.Kind == "sim" && o.dev.Peer.IsValid() {
		// Other kinds are refused when opened; the sim is not opened so.
		return o, fmt.Errorf("-peer %s: only a TAP has a kernel side to address (leave -peer out with -dev sim)", v.peer)
	}
	if !peerGiven && o.spec.Kind != "tap" {
		o.dev.Peer = netip.Prefix{} // the default peer is a TAP's kernel side; other kinds refuse one given
	}
	return o, nil
}

// check parses the values into o, each with its own message.
func (v flagValues) check(o *options) error {
	var err error
	if o.spec, err = stack.ParseDeviceSpec(v.dev); err != nil {
		return fmt.Errorf("-dev %w", err)
	}
	if o.dev.Addr, err = netip.ParsePrefix(v.addr); err != nil || !o.dev.Addr.Addr().Is4() {
		return fmt.Errorf("-addr %s: not an IPv4 address with prefix (give one like 10.0.0.1/24)", v.addr)
	}
	if v.peer != "none" {
		if o.dev.Peer, err = netip.ParsePrefix(v.peer); err != nil || !o.dev.Peer.Addr().Is4() {
			return fmt.Errorf("-peer %s: not an IPv4 address with prefix (give one like 10.0.0.2/24, or none)", v.peer)
		}
	}
	if v.hwaddr != "" {
		if o.dev.MAC, err = netdev.ParseMAC(v.hwaddr); err != nil {
			return fmt.Errorf("-hwaddr %s: not a MAC address (give six hex octets like 02:00:0a:00:00:01)", v.hwaddr)
		}
	}
	if v.gw != "" {
		if o.gw, err = netip.ParseAddr(v.gw); err != nil || !o.gw.Is4() {
			return fmt.Errorf("-gw %s: not an IPv4 address (give one like 10.0.0.254)", v.gw)
		}
	}
	if v.dns != "" {
		if o.dns, err = netip.ParseAddr(v.dns); err != nil || !o.dns.Is4() || o.dns.IsUnspecified() || o.dns.IsMulticast() {
			return fmt.Errorf("-dns %s: not an IPv4 unicast address (give a name server's, like 10.0.0.254)", v.dns)
		}
	}
	if o.dev.MTU, err = strconv.Atoi(v.mtu); err != nil {
		return fmt.Errorf("-mtu %s: not a number (give bytes, like 1500)", v.mtu)
	}
	o.dev.NoOffload = !v.offload
	switch v.poll {
	case "auto":
		o.dev.BusyPoll = stack.AutoBusyPoll
	case "sleep":
	case "busy":
		o.dev.BusyPoll = stack.DefaultBusyPoll
	default:
		return fmt.Errorf("-poll %s: unknown mode (give auto, sleep or busy)", v.poll)
	}
	return nil
}

// flagError rewords the flag package's two commonest errors in tapip's
// form; the rest (a bad -no-color value, say) it passes on.
func flagError(err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return fmt.Errorf("%s: unknown flag (tapip -h lists them)", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return fmt.Errorf("%s: needs a value (tapip -h says which)", name)
	}
	return err
}

// isHelp reports whether err is -h or -help.
func isHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }
