// Command gvisor-target is the benchmark's gVisor netstack peer: gVisor's
// TCP/IP stack on a TAP device, as a sink, a sender or an echo server, so
// cmd/tapbench can measure it against the kernel exactly as it measures
// gotapip. Benchmark-only; see README.md.
//
//	gvisor-target -tap NAME -addr 10.77.3.1/24 [-offload=true|false]
//	              -mode sink|send|echo -port N [-connect IP:PORT]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxLifetime bounds a run that nobody stops: a benchmark never takes longer.
const maxLifetime = 10 * time.Minute

type config struct {
	tap     string
	addr    netip.Prefix
	offload bool
	mode    string
	port    uint16
	connect netip.AddrPort
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "gvisor-target: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, maxLifetime)
	defer cancel()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "gvisor-target: %v\n", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var cfg config
	var addr, connect string
	var port uint
	fs := flag.NewFlagSet("gvisor-target", flag.ContinueOnError)
	fs.StringVar(&cfg.tap, "tap", "", "TAP device to create or open (in this network namespace)")
	fs.StringVar(&addr, "addr", "", "our address and prefix, e.g. 10.77.3.1/24")
	fs.BoolVar(&cfg.offload, "offload", true, "IFF_VNET_HDR + TUNSETOFFLOAD(CSUM|TSO4) and host GSO; false: plain frames")
	fs.StringVar(&cfg.mode, "mode", "", "sink (accept, read, discard), send (connect, write until it fails) or echo")
	fs.UintVar(&port, "port", 0, "TCP port to listen on (sink, echo)")
	fs.StringVar(&connect, "connect", "", "IP:PORT to connect to (send)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var err error
	switch {
	case fs.NArg() > 0:
		return cfg, fmt.Errorf("unexpected argument %q (all settings are flags)", fs.Arg(0))
	case cfg.tap == "":
		return cfg, fmt.Errorf("-tap is required (e.g. -tap gv0)")
	}
	if cfg.addr, err = netip.ParsePrefix(addr); err != nil || !cfg.addr.Addr().Is4() {
		return cfg, fmt.Errorf("-addr %q is not an IPv4 address with prefix (e.g. 10.77.3.1/24)", addr)
	}
	switch cfg.mode {
	case "sink", "echo":
		if port == 0 || port > 65535 {
			return cfg, fmt.Errorf("-port %d: -mode %s needs a port from 1 to 65535", port, cfg.mode)
		}
		cfg.port = uint16(port)
	case "send":
		if cfg.connect, err = netip.ParseAddrPort(connect); err != nil || !cfg.connect.Addr().Is4() {
			return cfg, fmt.Errorf("-connect %q is not IPv4:PORT (e.g. 10.77.3.2:5001)", connect)
		}
	default:
		return cfg, fmt.Errorf("-mode %q is unknown (use sink, send or echo)", cfg.mode)
	}
	return cfg, nil
}

func run(ctx context.Context, cfg config) error {
	fd, err := openTAP(cfg.tap, cfg.offload)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	link, err := newLink(fd, cfg.offload)
	if err != nil {
		return fmt.Errorf("TAP %s: %v", cfg.tap, err)
	}
	s, err := newStack(link, cfg.addr)
	if err != nil {
		return err
	}
	defer func() {
		s.Close()
		// Removing the NIC detaches the link, which stops its reader;
		// the descriptor closes only after (readv on a closed fd: EBADF).
		s.RemoveNIC(nicID)
		link.Wait()
	}()
	if vl, ok := link.(*vnetLink); ok {
		defer vl.reportDrops()
	}
	switch cfg.mode {
	case "send":
		fmt.Println("ready")
		return send(ctx, s, cfg.connect)
	case "echo":
		return serve(ctx, s, cfg.port, echo)
	default:
		return serve(ctx, s, cfg.port, discard)
	}
}
