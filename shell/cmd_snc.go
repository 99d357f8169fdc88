package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/gotapip/gotapip/udp"
)

var sncCommand = &Command{
	Name:  "snc",
	Usage: "[-u] -c HOST:PORT | [-u] [-k] [-e] -b ADDR:PORT",
	Brief: "tapip's simple netcat: TCP, or UDP with -u",
	Help: `-c HOST:PORT (HOST an address or a name) connects and sends the command's
input: the lines typed after it (or the script's next lines) until end of
input (Ctrl-D), or a file given with < FILE, byte for byte. It prints what
comes back until the peer closes. At the end of the input it half-closes
(sends FIN) and still prints what arrives until the peer closes; Ctrl-C
stops at once.

-b ADDR:PORT waits for a connection on ADDR:PORT (0.0.0.0 for every
address; port 0 picks one and says which) and prints what arrives until the
peer closes. -k keeps accepting: up to 64 connections are served at once.
-e echoes what arrives back to the peer instead of printing it.

With > FILE the received bytes are stored as they came:
  snc -b 0.0.0.0:9000 > out.bin      snc -c 10.0.0.1:9000 < in.bin

-u speaks UDP: -c sends each line (or each line of the < file) as a
datagram; -b prints the data of every datagram that arrives, until Ctrl-C.`,
	Run: runSnc,
}

func runSnc(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "uc:b:ke")
	if err != nil {
		return err
	}
	switch {
	case len(o.args) != 0 || o.has('c') == o.has('b'):
		return usage("give one of -c HOST:PORT (send) or -b ADDR:PORT (receive)")
	case o.has('c') && (o.has('k') || o.has('e')):
		return usage("-k and -e go with -b (listen)")
	case o.has('u') && (o.has('k') || o.has('e')):
		return usage("-k and -e are for TCP: leave out -u")
	case o.has('c'):
		dst, err := sh.resolveHostPort(ctx, o.set['c'])
		if err != nil {
			return fmt.Errorf("snc: -c %w", err)
		}
		if o.has('u') {
			return sncSend(ctx, sh, dst)
		}
		return sncConnect(ctx, sh, dst.String())
	}
	if o.has('u') {
		laddr, err := parseLocal(o.set['b'])
		if err != nil {
			return fmt.Errorf("snc: -b %w", err)
		}
		return sncReceive(ctx, sh, laddr)
	}
	laddr, err := parseListen(o.set['b'])
	if err != nil {
		return fmt.Errorf("snc: -b %w", err)
	}
	return sncListen(ctx, sh, laddr, o.has('k'), o.has('e'))
}

// sncSend sends the lines of the shell's input (see SetInput), or of the
// file given with <, as datagrams until it ends or Ctrl-C. They are read through the shell's line source: after
// Ctrl-C nothing of snc's is left reading, and the next line typed goes to
// the prompt.
func sncSend(ctx context.Context, sh *Shell, dst netip.AddrPort) error {
	src := sh.lines()
	if in := stdinOf(ctx); in != nil { // < FILE: a datagram per line
		src = newLineSource(&readerLines{r: bufio.NewReaderSize(in, udp.MaxPayload)}, nil)
	}
	if src == nil {
		return fmt.Errorf("%w (run snc -c where the shell reads a terminal or a script)", errNoInput)
	}
	sock, err := sh.Stack.UDP.Dial(dst)
	if err != nil {
		return err
	}
	listening(ctx)
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
	listening(ctx)
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
