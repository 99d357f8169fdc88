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

func main() {
	stack.UseOneProc()
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	o, err := parseFlags(args)
	switch {
	case isHelp(err):
		printUsage(os.Stdout, true)
		return 0
	case err != nil:
		fmt.Fprintln(os.Stderr, "tapip:", err)
		printUsage(os.Stderr, false)
		return 2
	}
	s := stack.New(stack.Config{})
	defer s.Close()
	var noticeTo atomic.Pointer[shell.Shell] // set once the shell exists
	s.SetNotice(func(line string) {          // a device removed under us: above the prompt, or on stderr
		if sh := noticeTo.Load(); sh != nil {
			sh.Notice(line)
			return
		}
		fmt.Fprintln(os.Stderr, line)
	})
	dev, lan, err := setup(s, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tapip:", err)
		return 1
	}
	if lan != nil {
		defer func() { // the stack first, so its closing connections hear the sim hosts to the end
			s.Close()
			lan.Close()
		}()
	}
	interactive := o.commands == "" && isatty.IsTerminal(os.Stdin.Fd())
	sh := shell.New(s, os.Stdout, os.Stderr)
	noticeTo.Store(sh)
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
		fmt.Fprintln(os.Stdout, banner(dev, o.dev.Peer, lan != nil))
		err = sh.RunInteractive(historyFile())
		sh.Report(err)
	default:
		err = sh.RunScript(os.Stdin)
	}
	if sig := signalled.Load(); sig != 0 { // closeOnSignal closed the shell
		return 128 + int(sig)
	}
	if errors.Is(err, shell.ErrInterrupted) { // Ctrl-C stopped a script
		return 128 + int(syscall.SIGINT)
	}
	if err != nil {
		return 1
	}
	return 0
}

// setup opens the device and adds the default route. With -dev sim, or
// when -dev was not given and no TAP can be had here at all (no privilege,
// no /dev/net/tun), the device is a port of the simulated LAN, which it
// returns; a TAP that is busy or refuses the settings is an error.
func setup(s *stack.Stack, o options) (*netdev.NetDev, *sim.LAN, error) {
	spec := o.spec
	var dev *netdev.NetDev
	var lan *sim.LAN
	var err error
	if spec.Kind != "sim" {
		dev, err = s.OpenDevice(spec, o.dev)
		switch {
		case err != nil && o.devDefault && errors.Is(err, stack.ErrNoTAP):
			fmt.Fprintf(os.Stderr, "tapip: %v: using the simulated LAN instead\n", err)
			spec.Kind = "sim"
		case err != nil:
			return nil, nil, err
		}
	}
	if spec.Kind == "sim" {
		if dev, lan, err = sim.Start(s, "sim0", o.dev.Addr, o.dev.MTU); err != nil {
			return nil, nil, err
		}
		if !o.gw.IsValid() { // the simulated router leads to the rest of the sim
			o.gw = sim.RouterAddr.Addr()
		}
		if !o.dns.IsValid() { // and answers for its names
			o.dns = sim.RouterAddr.Addr()
		}
	}
	if o.dns.IsValid() {
		if err := s.SetDNSServers([]netip.Addr{o.dns}); err != nil {
			return dev, lan, fmt.Errorf("-dns: %w", err)
		}
	}
	if o.gw.IsValid() {
		if err := s.AddDefaultRoute(dev, o.gw); err != nil {
			return dev, lan, fmt.Errorf("-gw: %w", err)
		}
	}
	return dev, lan, nil
}

// banner is what an interactive session starts with: where the stack is,
// and whether its peer is the kernel or the simulated LAN.
func banner(dev *netdev.NetDev, peer netip.Prefix, onSim bool) string {
	where := fmt.Sprintf("tapip on %s %v", dev.Name(), dev.Addr())
	switch {
	case onSim:
		where += fmt.Sprintf(": the SIMULATED LAN, not the kernel (hosts %v, and %v via %v)",
			sim.HostAddr.Addr(), sim.FarHostAddr.Addr(), sim.RouterAddr.Addr())
	case dev.Kind() == "tap" && peer.IsValid():
		where += fmt.Sprintf(": a TAP, the kernel side %v", peer)
	case dev.Kind() == "tap":
		where += ": a TAP, the kernel side unaddressed (bridged)"
	default:
		where += fmt.Sprintf(" (%s)", dev.Kind())
	}
	return where + "\nhelp lists the commands; Ctrl-D leaves."
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
