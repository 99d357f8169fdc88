package shell

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/gotapip/gotapip/tcp"
	"github.com/gotapip/gotapip/tcpgraph"
)

var tcpgraphCommand = &Command{
	Name:  "tcpgraph",
	Usage: "[on [ENTRIES] | off | -o PREFIX | -g seq|cwnd | -t] [ADDR:PORT [ADDR:PORT]]",
	Brief: "pictures of a TCP connection: time-sequence and cwnd graphs (SVG)",
	Help: `Records TCP connections and draws them as tcptrace and Wireshark do.
"tcpgraph on" records every connection established from then on: its
state after each ACK (ss -i's figures) and every segment it sends and
receives, in two rings of ENTRIES (default 8192; the oldest entries are
overwritten). At most 16 connections are kept, live or closed (a new one
replaces the oldest closed one). "tcpgraph off" stops recording; what was
recorded stays. Without arguments tcpgraph lists what it holds.
For one connection (the most recent by default, or the one whose local
or peer address is ADDR:PORT, or LOCAL PEER as ss prints them):
  -o PREFIX   writes PREFIX-seq.svg, the time-sequence graph (sequence
              number against time: data segments, retransmissions in red
              marked R, the ACK line, the receive-window line, SACK
              blocks), and PREFIX-cwnd.svg (cwnd, ssthresh, bytes in
              flight and smoothed RTT against time, fast recovery shaded,
              timeouts dashed); a browser opens them
  -g seq|cwnd prints one of them, for "> FILE"
  -t          prints the samples as a table, one line per ACK
See doc/walkthrough-congestion.md.`,
	Run: runTCPGraph,
}

func runTCPGraph(ctx context.Context, sh *Shell, args []string) error {
	p := sh.Stack.TCP
	if len(args) > 0 && (args[0] == "on" || args[0] == "off") {
		return tcpgraphRecord(sh, p, args)
	}
	o, err := parseOpts(args, "o:g:t")
	if err != nil {
		return err
	}
	modes := 0
	for _, c := range []byte("ogt") {
		if o.has(c) {
			modes++
		}
	}
	if modes > 1 {
		return usage("-o, -g and -t: give one")
	}
	if modes == 0 {
		if len(o.args) > 0 {
			return usage("%s: say what to make of it (-o PREFIX, -g seq|cwnd or -t)", strings.Join(o.args, " "))
		}
		return tcpgraphList(sh.Out, p)
	}
	if g, ok := o.set['g']; ok && g != "seq" && g != "cwnd" {
		return usage("-g %s: no such graph (seq or cwnd)", g)
	}
	h, err := tcpgraphFind(p, o.args)
	if err != nil {
		return err
	}
	switch o.set['g'] {
	case "seq":
		_, err = tcpgraph.TimeSequence(sh.Out, h)
		return err
	case "cwnd":
		_, err = tcpgraph.Congestion(sh.Out, h)
		return err
	}
	if o.has('t') {
		return tcpgraph.Samples(sh.Out, h)
	}
	return tcpgraphFiles(sh.Out, h, o.set['o'])
}

// tcpgraphRecord is "tcpgraph on [ENTRIES]" and "tcpgraph off".
func tcpgraphRecord(sh *Shell, p *tcp.Protocol, args []string) error {
	n := 0
	switch {
	case args[0] == "off" && len(args) == 1:
	case args[0] == "on" && len(args) == 1:
		n = tcp.DefaultHistoryEntries
	case args[0] == "on" && len(args) == 2:
		v, err := strconv.Atoi(args[1])
		if err != nil || v < tcp.MinHistoryEntries || v > tcp.MaxHistoryEntries {
			return usage("on %s: give the entries per ring as a number from %d to %d", args[1], tcp.MinHistoryEntries, tcp.MaxHistoryEntries)
		}
		n = v
	default:
		return usage("%s: unexpected argument (tcpgraph on [ENTRIES] | off)", args[len(args)-1])
	}
	if err := p.SetHistory(n); err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(sh.Out, "recording off; the histories kept stay (tcpgraph lists them)")
	} else {
		fmt.Fprintf(sh.Out, "recording connections established from now on, %d entries each\n", n)
	}
	return nil
}

// tcpgraphList prints whether recording is on and the histories kept.
func tcpgraphList(w io.Writer, p *tcp.Protocol) error {
	if n := p.HistoryEntries(); n > 0 {
		fmt.Fprintf(w, "recording: on, %d entries per connection (tcpgraph off stops)\n", n)
	} else {
		fmt.Fprintln(w, "recording: off (tcpgraph on starts)")
	}
	hs, skipped := p.Histories()
	if len(hs) > 0 {
		fmt.Fprintf(w, "%-12s %-21s %-21s %9s %8s %8s\n", "State", "Local Address:Port", "Peer Address:Port", "Span", "Samples", "Segments")
	}
	for _, h := range hs {
		fmt.Fprintf(w, "%-12s %-21s %-21s %8.3fs %8d %8d\n", h.State, h.Local, h.Remote, h.Span.Seconds(), h.TotalSamples, h.TotalSegments)
	}
	if skipped > 0 {
		fmt.Fprintf(w, "%d connections not recorded: %d live ones held every slot\n", skipped, tcp.MaxHistories)
	}
	return nil
}

// tcpgraphFind picks the history args name: none, the most recent; one
// ADDR:PORT, the most recent with it at either end; two, LOCAL PEER.
func tcpgraphFind(p *tcp.Protocol, args []string) (tcp.History, error) {
	if len(args) > 2 {
		return tcp.History{}, usage("%s: unexpected argument (name a connection by ADDR:PORT, or LOCAL PEER)", args[2])
	}
	var want []netip.AddrPort
	for _, a := range args {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			return tcp.History{}, usage("%s: not an ADDR:PORT (name a connection as ss prints it, e.g. 10.0.0.2:80)", a)
		}
		want = append(want, ap)
	}
	hs, _ := p.Histories()
	for i := len(hs) - 1; i >= 0; i-- {
		h := hs[i]
		match := len(want) == 0 ||
			len(want) == 1 && (h.Local == want[0] || h.Remote == want[0]) ||
			len(want) == 2 && h.Local == want[0] && h.Remote == want[1]
		if match {
			if full, ok := p.History(h.Local, h.Remote); ok {
				return full, nil
			}
		}
	}
	if len(hs) == 0 {
		return tcp.History{}, fmt.Errorf("no connection recorded (tcpgraph on records those established from then on)")
	}
	return tcp.History{}, fmt.Errorf("no history of %s (tcpgraph lists the connections recorded)", strings.Join(args, " "))
}

// tcpgraphFiles writes both graphs to PREFIX-seq.svg and PREFIX-cwnd.svg
// and says what each shows.
func tcpgraphFiles(out io.Writer, h tcp.History, prefix string) error {
	var seq tcpgraph.SeqStats
	var cw tcpgraph.CwndStats
	for _, g := range []struct {
		name string
		draw func(io.Writer) error
	}{
		{prefix + "-seq.svg", func(w io.Writer) (err error) { seq, err = tcpgraph.TimeSequence(w, h); return }},
		{prefix + "-cwnd.svg", func(w io.Writer) (err error) { cw, err = tcpgraph.Congestion(w, h); return }},
	} {
		f, err := os.Create(g.name)
		if err != nil {
			return fmt.Errorf("%s: %s (give -o a prefix in a directory you can write)", g.name, fileError(err))
		}
		err = g.draw(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %s", g.name, fileError(err))
		}
	}
	fmt.Fprintf(out, "wrote %s-seq.svg: %s > %s, %d data segments (%d retransmitted), %d ACKs, %d SACK blocks\n",
		prefix, seq.From, seq.To, seq.Data, seq.Rexmits, seq.ACKs, seq.SACKs)
	fmt.Fprintf(out, "wrote %s-cwnd.svg: %d samples, cwnd up to %d segments, %d fast recoveries, %d timeouts\n",
		prefix, cw.Samples, cw.MaxCwnd/max(h.MSS, 1), cw.Recoveries, cw.Timeouts)
	if lost := h.TotalSegments - uint64(len(h.Segments)); lost > 0 {
		fmt.Fprintf(out, "the first %d segments were overwritten (a ring of %d: tcpgraph on ENTRIES keeps more)\n", lost, h.RingEntries)
	}
	return nil
}
