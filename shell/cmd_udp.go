package shell

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gotapip/gotapip/internal/counters"
	"github.com/gotapip/gotapip/udp"
)

var udpCommand = &Command{
	Name:  "udp",
	Usage: "[send [-p SRCPORT] [-r] HOST:PORT TEXT... | listen [-c COUNT] [-e] [-x] [-q] [ADDR:]PORT | -s]",
	Brief: "send or receive UDP datagrams; list the sockets",
	Help: `With no arguments, lists the open sockets as netstat -uan does: the bytes
waiting to be read (Recv-Q; nothing waits to be sent), local and foreign
address, ESTABLISHED for a connected socket. -s prints UDP's counters as
netstat -su does (stat has them all by their MIB names).

send sends TEXT (the words joined by spaces) as one datagram from port
SRCPORT (default: an ephemeral port) and prints "sent N bytes to HOST:PORT".
With -r it then waits (up to 5 s) for one reply from HOST:PORT and prints
it as listen does, or the ICMP error that came back (connection refused).

listen binds PORT on ADDR (default: every address) and prints a line per
datagram: the sender, the length and the text (in hex with -x, or when it
is not printable). -e echoes each datagram back to its sender; -q prints
nothing per datagram, only a summary at the end (with -e: a quiet echo
service, tapip -c "udp listen -e -q 7"). It stops after COUNT datagrams or
at Ctrl-C.`,
	Run: runUDP,
}

func runUDP(ctx context.Context, sh *Shell, args []string) error {
	if len(args) == 0 {
		sh.printUDPSockets()
		return nil
	}
	switch args[0] {
	case "send":
		return udpSend(ctx, sh, args[1:])
	case "listen":
		return udpListen(ctx, sh, args[1:])
	case "-s":
		if len(args) != 1 {
			return usage("-s takes no arguments")
		}
		sh.printUDPStats()
		return nil
	}
	return usage("%s: unknown form", strings.Join(args, " "))
}

// printUDPSockets lists the sockets in net-tools netstat -uan's layout
// (trailing blanks trimmed).
func (sh *Shell) printUDPSockets() {
	fmt.Fprintln(sh.Out, "Active Internet connections (servers and established)")
	fmt.Fprintln(sh.Out, "Proto Recv-Q Send-Q Local Address           Foreign Address         State")
	for _, s := range sh.Stack.UDP.Sockets() {
		remote, state := "0.0.0.0:*", ""
		if s.Remote.IsValid() {
			remote, state = s.Remote.String(), "ESTABLISHED"
		}
		line := fmt.Sprintf("%-5s %6d %6d %-23s %-23s %s", "udp", s.QueuedBytes, 0, s.Local, remote, state)
		fmt.Fprintln(sh.Out, strings.TrimRight(line, " "))
	}
}

// netstatUDP words UDP's counters as net-tools netstat -su does; a counter
// it has no words for prints as "Name: N", and only when not zero.
var netstatUDP = map[string]string{
	"InDatagrams":  "packets received",
	"NoPorts":      "packets to unknown port received",
	"InErrors":     "packet receive errors",
	"OutDatagrams": "packets sent",
	"RcvbufErrors": "receive buffer errors",
}

func (sh *Shell) printUDPStats() {
	fmt.Fprintln(sh.Out, "Udp:")
	for _, c := range counters.Of(&sh.Stack.UDP.Stats) {
		v := c.Value.Load()
		if words, ok := netstatUDP[c.Name]; ok {
			fmt.Fprintf(sh.Out, "    %d %s\n", v, words)
		} else if v != 0 {
			fmt.Fprintf(sh.Out, "    %s: %d\n", c.Name, v)
		}
	}
}

func udpSend(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "p:r")
	if err != nil {
		return err
	}
	if len(o.args) < 2 {
		return usage("give HOST:PORT and the text to send")
	}
	dst, err := sh.resolveHostPort(ctx, o.args[0])
	if err != nil {
		return err
	}
	sport, err := o.intOpt('p', 0, 1, math.MaxUint16)
	if err != nil {
		return err
	}
	text := strings.Join(o.args[1:], " ")
	sock, err := sh.Stack.UDP.Open()
	if err != nil {
		return err
	}
	defer sock.Close()
	if sport != 0 {
		if err := sock.Bind(netip.AddrPortFrom(netip.Addr{}, uint16(sport))); err != nil {
			return err
		}
	}
	if o.has('r') { // connected: only dst's reply, and its ICMP errors, come back
		if err := sock.Connect(dst); err != nil {
			return err
		}
	}
	n, err := sock.SendTo([]byte(text), dst)
	if s, ok := errnoText(err); ok {
		return fmt.Errorf("send to %v: %s", dst, s)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(sh.Out, "sent %s to %s\n", plural(n, "byte", "bytes"), dst)
	if !o.has('r') {
		return nil
	}
	return awaitReply(ctx, sh, sock)
}

// udpReplyWait is how long udp send -r waits for the reply.
const udpReplyWait = 5 * time.Second

// awaitReply prints the one reply to a connected socket, or what came
// back instead.
func awaitReply(ctx context.Context, sh *Shell, sock *udp.Socket) error {
	wctx, cancel := context.WithTimeout(ctx, udpReplyWait)
	defer cancel()
	buf := make([]byte, udp.MaxPayload)
	n, from, err := sock.RecvFrom(wctx, buf)
	switch {
	case ctx.Err() != nil:
		return nil // Ctrl-C
	case wctx.Err() != nil:
		return fmt.Errorf("no reply from %s in %v (is something listening there?)", sock.RemoteAddr(), udpReplyWait)
	case err != nil:
		return err
	}
	fmt.Fprintf(sh.Out, "%s length %d: %s\n", from, n, showPayload(buf[:n], false))
	return nil
}

type listenConfig struct {
	laddr            netip.AddrPort
	count            int
	echo, hex, quiet bool
}

func udpListen(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "c:exq")
	if err != nil {
		return err
	}
	if len(o.args) != 1 {
		return usage("give the port to listen on, [ADDR:]PORT")
	}
	lc := listenConfig{echo: o.has('e'), hex: o.has('x'), quiet: o.has('q')}
	if lc.laddr, err = parseLocal(o.args[0]); err != nil {
		return err
	}
	if lc.count, err = o.intOpt('c', 0, 1, math.MaxInt32); err != nil {
		return err
	}
	sock, err := sh.Stack.UDP.Listen(lc.laddr)
	if err != nil {
		return err
	}
	listening(ctx)
	defer sock.Close()
	var got, bytes, echoed int
	buf := make([]byte, udp.MaxPayload)
	for lc.count == 0 || got < lc.count {
		n, from, err := sock.RecvFrom(ctx, buf)
		if ctx.Err() != nil {
			break // Ctrl-C
		}
		if err != nil {
			return err
		}
		got++
		bytes += n
		if !lc.quiet {
			fmt.Fprintf(sh.Out, "%s length %d: %s\n", from, n, showPayload(buf[:n], lc.hex))
		}
		if !lc.echo || from.Port() == 0 { // port 0: the sender wants no answer (RFC 768)
			continue
		}
		if _, err := sock.SendTo(buf[:n], from); err != nil {
			fmt.Fprintf(sh.Err, "udp: echo to %s: %v\n", from, err)
			continue
		}
		echoed++
	}
	return sh.listenSummary(lc, got, bytes, echoed)
}

func (sh *Shell) listenSummary(lc listenConfig, got, bytes, echoed int) error {
	if lc.quiet {
		line := fmt.Sprintf("%s, %s received", plural(got, "datagram", "datagrams"), plural(bytes, "byte", "bytes"))
		if lc.echo {
			line += fmt.Sprintf(", %d echoed", echoed)
		}
		fmt.Fprintln(sh.Out, line)
	}
	return nil
}

// showPayload prints a datagram's data as text (a final newline dropped)
// when it is printable, else (or with hex) as hex.
func showPayload(b []byte, asHex bool) string {
	text := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if !asHex && utf8.ValidString(text) && strings.IndexFunc(text, func(r rune) bool { return !unicode.IsPrint(r) && r != '\t' }) < 0 {
		return text
	}
	return "hex " + hex.EncodeToString(b)
}

// parseHostPort parses a destination HOST:PORT (HOST an IPv4 address).
func parseHostPort(s string) (netip.AddrPort, error) {
	a, err := netip.ParseAddrPort(s)
	if err != nil || !a.Addr().Is4() || a.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("%s: not HOST:PORT (give an IPv4 address and a port from 1 to 65535, like 10.0.0.2:7)", s)
	}
	return a, nil
}

// parseLocal parses a local [ADDR:]PORT; no ADDR means every address.
func parseLocal(s string) (netip.AddrPort, error) {
	if !strings.Contains(s, ":") {
		p, err := strconv.ParseUint(s, 10, 16)
		if err != nil || p == 0 {
			return netip.AddrPort{}, fmt.Errorf("%s: not a port (give one from 1 to 65535, or ADDR:PORT)", s)
		}
		return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(p)), nil
	}
	return parseHostPort(s)
}

var errNoInput = errors.New("the shell has no input to read")
