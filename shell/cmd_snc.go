package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/gotapip/gotapip/udp"
)

var sncCommand = &Command{
	Name:  "snc",
	Usage: "-u -c HOST:PORT | -u -b ADDR:PORT",
	Brief: "tapip's simple netcat over UDP",
	Help: `-c HOST:PORT sends each line of the shell's input (with its newline) as a
datagram until end of input (Ctrl-D) or Ctrl-C. -b ADDR:PORT receives
datagrams on ADDR:PORT (0.0.0.0 for every address) and writes their data
out as it came, until Ctrl-C. -u (UDP) is required: TCP is not built.`,
	Run: runSnc,
}

func runSnc(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "uc:b:")
	if err != nil {
		return err
	}
	switch {
	case !o.has('u'):
		return usage("TCP is not built (add -u for UDP)")
	case len(o.args) != 0 || o.has('c') == o.has('b'):
		return usage("give one of -c HOST:PORT (send) or -b ADDR:PORT (receive)")
	case o.has('c'):
		dst, err := parseHostPort(o.set['c'])
		if err != nil {
			return err
		}
		return sncSend(ctx, sh, dst)
	}
	laddr, err := parseLocal(o.set['b'])
	if err != nil {
		return err
	}
	return sncReceive(ctx, sh, laddr)
}

// sncSend sends the lines of the shell's input (see SetInput) until it
// ends or Ctrl-C. They are read through the shell's line source: after
// Ctrl-C nothing of snc's is left reading, and the next line typed goes to
// the prompt.
func sncSend(ctx context.Context, sh *Shell, dst netip.AddrPort) error {
	src := sh.lines()
	if src == nil {
		return fmt.Errorf("%w (run snc -c where the shell reads a terminal or a script)", errNoInput)
	}
	sock, err := sh.Stack.UDP.Dial(dst)
	if err != nil {
		return err
	}
	defer sock.Close()
	for {
		line, err := src.next(ctx, "")
		switch {
		case err == nil:
		case ctx.Err() != nil, err == io.EOF, errors.Is(err, errInterrupted):
			return nil
		default:
			return err
		}
		for len(line) > 0 { // a line longer than a datagram goes in pieces
			n := min(len(line), udp.MaxPayload)
			if _, err := sock.Send([]byte(line[:n])); err != nil {
				return err
			}
			line = line[n:]
		}
	}
}

// sncReceive writes out the data of every datagram to laddr.
func sncReceive(ctx context.Context, sh *Shell, laddr netip.AddrPort) error {
	sock, err := sh.Stack.UDP.Listen(laddr)
	if err != nil {
		return err
	}
	defer sock.Close()
	buf := make([]byte, udp.MaxPayload)
	for {
		n, _, err := sock.RecvFrom(ctx, buf)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		sh.Out.Write(buf[:n])
	}
}
