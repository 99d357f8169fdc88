package shell

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/udp"
)

var tracerouteCommand = &Command{
	Name:  "traceroute",
	Usage: "[-m MAXTTL] [-q NQUERIES] [-w WAIT] [-p PORT] HOST",
	Brief: "print the route to HOST, as traceroute -n",
	Help: `Sends UDP probes of 60 bytes to HOST (an IPv4 address, or a name the
stack's name servers resolve: resolv) with TTL 1, 2, ... MAXTTL (default
30), NQUERIES per TTL (default 3), one at a time. Each router where a probe's
TTL runs out answers ICMP time exceeded; HOST answers port unreachable,
as nothing listens on the probes' ports: PORT (default 33434) for the
first probe, one more for each next probe. Each hop is printed as
traceroute -n prints it: the answering address (again only when it
changes), the round trip of each probe, * for a probe unanswered in WAIT
seconds (default 5), and !N, !H, !P, !F-MTU for net, host and protocol
unreachable and fragmentation needed. It stops at the hop where HOST (or
an unreachable) answered, at MAXTTL, or at Ctrl-C.`,
	Run: runTraceroute,
}

// traceDataLen is the probes' payload: 20 + 8 + 32 = traceroute's
// default 60-byte packets.
const traceDataLen = 32

type traceConfig struct {
	host    string     // as given: a name or an address
	dst     netip.Addr // host resolved
	maxTTL  int
	queries int
	wait    time.Duration
	port    int // of the first probe
}

func parseTraceroute(args []string) (traceConfig, error) {
	o, err := parseOpts(args, "m:q:w:p:")
	if err != nil {
		return traceConfig{}, err
	}
	var tc traceConfig
	if len(o.args) != 1 {
		return tc, usage("give one destination host")
	}
	tc.host = o.args[0]
	if tc.maxTTL, err = o.intOpt('m', 30, 1, 255); err != nil {
		return tc, err
	}
	if tc.queries, err = o.intOpt('q', 3, 1, 10); err != nil {
		return tc, err
	}
	if tc.wait, err = o.secondsOpt('w', 5*time.Second, time.Millisecond, time.Minute); err != nil {
		return tc, err
	}
	if tc.port, err = o.intOpt('p', 33434, 1, math.MaxUint16); err != nil {
		return tc, err
	}
	return tc, nil
}

func runTraceroute(ctx context.Context, sh *Shell, args []string) error {
	tc, err := parseTraceroute(args)
	if err != nil {
		return err
	}
	if tc.dst, err = sh.resolveHost(ctx, tc.host); err != nil {
		if ctx.Err() != nil {
			return nil // Ctrl-C
		}
		return err
	}
	if _, err := sh.Stack.IP.SourceAddr(tc.dst); err != nil {
		return fmt.Errorf("connect: %s", strerror(err))
	}
	sock, err := sh.Stack.UDP.Open()
	if err != nil {
		return err
	}
	defer sock.Close()
	sock.SetRecvErrors(true)
	data := make([]byte, traceDataLen)
	for i := range data { // what traceroute(8) sends: "@ABC...", 0x40 | i
		data[i] = 0x40 | byte(i&0x3f)
	}
	fmt.Fprintf(sh.Out, "traceroute to %s (%s), %d hops max, %d byte packets\n",
		tc.host, tc.dst, tc.maxTTL, ip.HeaderLen+udp.HeaderLen+traceDataLen)
	// A hop's line is written probe by probe at a terminal, as traceroute
	// does; in a script, whole, so debug's lines never cut it.
	var line strings.Builder
	flush := func(end string) {
		line.WriteString(end)
		fmt.Fprint(sh.Out, line.String())
		line.Reset()
	}
	n := 0 // probes sent
	for ttl := 1; ttl <= tc.maxTTL; ttl++ {
		fmt.Fprintf(&line, "%2d ", ttl)
		if !sh.Script {
			flush("")
		}
		var hop []traceAnswer
		final := false
		for range tc.queries {
			port := uint16((tc.port-1+n)%math.MaxUint16 + 1) // 1..65535, wrapping
			n++
			a, err := traceProbe(ctx, sock, netip.AddrPortFrom(tc.dst, port), uint8(ttl), tc.wait, data)
			if err != nil {
				flush("\n")
				if ctx.Err() != nil {
					return nil // Ctrl-C
				}
				return fmt.Errorf("send: %s", strerror(err))
			}
			line.WriteString(a.format(hop))
			hop = append(hop, a)
			final = final || a.final
			if !sh.Script {
				flush("")
			}
		}
		flush("\n")
		if final {
			break
		}
	}
	return nil
}

// traceAnswer is what came back for one probe.
type traceAnswer struct {
	from  netip.Addr // invalid: no answer in time
	rtt   time.Duration
	note  string // !N, !H, ...
	final bool   // the destination, or an unreachable, answered
}

// traceProbe sends one probe with ttl to `to` and waits up to wait for the
// ICMP error about it, matched by the quoted destination port (answers to
// earlier probes that come late are skipped).
func traceProbe(ctx context.Context, sock *udp.Socket, to netip.AddrPort, ttl uint8, wait time.Duration, data []byte) (traceAnswer, error) {
	sock.SetTTL(ttl)
	sent := time.Now()
	if _, err := sock.SendTo(data, to); err != nil {
		return traceAnswer{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		e, err := sock.RecvError(wctx)
		switch {
		case ctx.Err() != nil:
			return traceAnswer{}, ctx.Err()
		case wctx.Err() != nil:
			return traceAnswer{}, nil // *
		case err != nil:
			return traceAnswer{}, err
		case e.Remote != to:
			continue
		}
		a := traceAnswer{from: e.From, rtt: e.Received.Sub(sent), final: true}
		switch e.Kind {
		case ip.TTLExceeded, ip.ReasmTimeout:
			a.final = false
		case ip.NetUnreachable:
			a.note = "!N"
		case ip.HostUnreachable:
			a.note = "!H"
		case ip.ProtoUnreachable:
			a.note = "!P"
		case ip.FragNeeded:
			a.note = fmt.Sprintf("!F-%d", e.Info)
		case ip.ParamProblem:
			a.note = "!<12>"
		}
		return a, nil
	}
}

// format prints the answer as traceroute(8) -n does after the answers
// before it in the hop: its address only when it differs from the last
// answer's (or is the first), its round trip, its note.
func (a traceAnswer) format(before []traceAnswer) string {
	if !a.from.IsValid() {
		return " *"
	}
	var b strings.Builder
	show := true
	for i := len(before) - 1; i >= 0; i-- {
		if before[i].from.IsValid() {
			show = before[i].from != a.from
			break
		}
	}
	if show {
		b.WriteString(" " + a.from.String())
	}
	fmt.Fprintf(&b, "  %.3f ms", float64(a.rtt)/float64(time.Millisecond))
	if a.note != "" {
		b.WriteString(" " + a.note)
	}
	return b.String()
}
