// Command tapip runs the gotapip stack with its net shell.
//
//	tapip [-dev SPEC] [-addr CIDR] [-gw IP] [-peer CIDR|none] [-hwaddr MAC]
//	      [-mtu N] [-c "CMD; CMD"] [-no-color]
//
// Interactive on a terminal; otherwise commands are read from stdin, one per
// line. The exit status is non-zero if any command failed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/sim"
	"github.com/gotapip/gotapip/stack"
)

type options struct {
	dev, addr, gw, peer, hwaddr, commands string
	mtu                                   int
	noColor                               bool
	devDefault                            bool // -dev not given: fall back to sim
	poll                                  string
}

func main() {
	stack.UseOneProc()
	os.Exit(run(os.Args[1:]))
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("tapip", flag.ContinueOnError)
	fs.StringVar(&o.dev, "dev", "tap:tap0", "device: tap:NAME, packet:IFACE, netmap:IFACE or sim")
	fs.StringVar(&o.addr, "addr", "10.0.0.1/24", "the stack's IPv4 address and prefix")
	fs.StringVar(&o.gw, "gw", "", "default gateway")
	fs.StringVar(&o.peer, "peer", "10.0.0.2/24", "with tap: the kernel side's address, or none (bridged)")
	fs.StringVar(&o.hwaddr, "hwaddr", "", "the stack's MAC (default 02:00 + the IPv4 address)")
	fs.IntVar(&o.mtu, "mtu", 1500, "device MTU")
	fs.StringVar(&o.commands, "c", "", "run these ';'-separated commands and exit")
	fs.BoolVar(&o.noColor, "no-color", false, "never colour the output")
	fs.StringVar(&o.poll, "poll", "sleep", "how a TAP device waits for frames: sleep (in poll(2)) or busy (spin while traffic flows)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.devDefault = true
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "dev" {
			o.devDefault = false
		}
	})
	if o.poll != "sleep" && o.poll != "busy" {
		return o, fmt.Errorf("-poll %q: want sleep or busy", o.poll)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (commands go in -c \"...\")", fs.Arg(0))
	}
	return o, nil
}

func run(args []string) int {
	o, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	s := stack.New(stack.Config{})
	defer s.Close()
	s.SetNotice(func(line string) { fmt.Fprintln(os.Stderr, line) }) // a device removed under us
	lan, err := setup(s, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tapip:", err)
		return 1
	}
	if lan != nil {
		defer lan.Close()
	}
	interactive := o.commands == "" && isatty.IsTerminal(os.Stdin.Fd())
	sh := shell.New(s, os.Stdout, os.Stderr)
	var signalled atomic.Int32
	go closeOnSignal(s, sh, &signalled)
	if o.commands != "" {
		sh.SetInput(os.Stdin) // snc -c reads it; in the other modes the shell reads stdin itself
	}
	sh.Color = !o.noColor && os.Getenv("NO_COLOR") == "" && isatty.IsTerminal(os.Stdout.Fd())
	switch {
	case o.commands != "":
		err = sh.RunCommands(o.commands)
	case interactive:
		err = sh.RunInteractive(historyFile())
		sh.Report(err)
	default:
		err = sh.RunScript(os.Stdin)
	}
	if sig := signalled.Load(); sig != 0 { // closeOnSignal closed the shell
		return 128 + int(sig)
	}
	if err != nil {
		return 1
	}
	return 0
}

// setup opens the device and configures the address, MAC and gateway. With
// -dev sim, or when -dev was not given and no TAP can be had, the device is
// a port of the simulated LAN, which it returns.
func setup(s *stack.Stack, o options) (*sim.LAN, error) {
	spec, err := stack.ParseDeviceSpec(o.dev)
	if err != nil {
		return nil, err
	}
	var opt stack.DeviceOptions
	if opt.Addr, err = netip.ParsePrefix(o.addr); err != nil || !opt.Addr.Addr().Is4() {
		return nil, fmt.Errorf("-addr %q: want an IPv4 address with prefix, like 10.0.0.1/24", o.addr)
	}
	if o.peer != "none" {
		if opt.Peer, err = netip.ParsePrefix(o.peer); err != nil || !opt.Peer.Addr().Is4() {
			return nil, fmt.Errorf("-peer %q: want an IPv4 address with prefix, like 10.0.0.2/24, or none", o.peer)
		}
	}
	if o.hwaddr != "" {
		if opt.MAC, err = netdev.ParseMAC(o.hwaddr); err != nil {
			return nil, fmt.Errorf("-hwaddr: %w", err)
		}
	}
	opt.MTU = o.mtu
	if o.poll == "busy" {
		opt.BusyPoll = stack.DefaultBusyPoll
	}
	var dev *netdev.NetDev
	var lan *sim.LAN
	if spec.Kind != "sim" {
		dev, err = s.OpenDevice(spec, opt)
		if err != nil && o.devDefault {
			fmt.Fprintf(os.Stderr, "tapip: no TAP (%v): using the simulated LAN instead (-dev sim); for TAP run as root with /dev/net/tun\n", err)
			spec.Kind = "sim"
		} else if err != nil {
			return nil, err
		}
	}
	if spec.Kind == "sim" {
		if dev, lan, err = sim.Start(s, "sim0", opt.Addr, opt.MTU); err != nil {
			return nil, err
		}
		if o.gw == "" { // the simulated router leads to the rest of the sim
			o.gw = sim.RouterAddr.Addr().String()
		}
	}
	if o.gw != "" {
		gw, err := netip.ParseAddr(o.gw)
		if err != nil || !gw.Is4() {
			return lan, fmt.Errorf("-gw %q: want an IPv4 address", o.gw)
		}
		return lan, s.AddDefaultRoute(dev, gw)
	}
	return lan, nil
}

// closeOnSignal handles SIGTERM and SIGHUP. It closes the shell, which
// cancels the running command and flushes a capture; the shell then returns
// to run, which removes what we created (the TAP) and exits as a shell
// reports the signal (128 + its number). If the command does not return in
// time, it releases the stack and exits from here.
func closeOnSignal(s *stack.Stack, sh *shell.Shell, signalled *atomic.Int32) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGHUP)
	got := (<-sig).(syscall.Signal)
	status := 128 + int(got)
	signalled.Store(int32(got))
	// The last resort, should something not give way (a terminal that
	// takes no output): a killed program must end.
	time.AfterFunc(2*shell.CloseWait, func() { os.Exit(status) })
	if err := sh.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "tapip:", err)
		s.Close()
		os.Exit(status)
	}
}

func historyFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".tapip_history")
}
