package shell

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gotapip/gotapip/tcp"
)

var ssCommand = &Command{
	Name:  "ss",
	Usage: "[-t|-u] [-a|-l] [-i] [-m] [-n]",
	Brief: "the socket table, as iproute2's ss",
	Help: `Lists the TCP connections and UDP sockets as iproute2's ss does: state,
bytes waiting to be read (Recv-Q) and not yet acknowledged or sent
(Send-Q; a listener: the connections waiting for accept, and the
backlog; a TIME-WAIT socket: 0 0, as Linux's, which keeps no queues),
local and peer address:port. By default the sockets that are
not listening; -a all of them, -l only the listening ones (TCP LISTEN,
unconnected UDP, UNCONN). -t only TCP, -u only UDP. -i adds each TCP
connection's internals on the next line (not a TIME-WAIT socket's, as
ss): ts and sack when negotiated, the congestion control (cubic, or
reno: NewReno), wscale:SND,RCV, rto and rtt/rttvar in ms (measured in
microseconds from each segment's send time; no rtt before a sample),
mss, rcvmss, cwnd and ssthresh in segments (no ssthresh before the
first loss),
backoff (consecutive timeouts), send (cwnd over rtt) and pacing_rate
(the rate Linux would pace at; we do not pace), the latest
delivery_rate sample, delivered (segments) and app_limited when the
application, not the network, set that rate, and once measured the
receiver's rcv_rtt (ms) and rcv_space (bytes read in that round trip,
what receive buffer autotuning grows from), and minrtt: the smallest
RTT of the last five minutes, in ms. -m adds the buffers as
skmem:(r unread bytes, rb receive buffer, t unacknowledged and unsent
bytes, tb send buffer) — ss's first four fields; the rest it prints
describe kernel memory accounting we do not have. Addresses are always
numeric; -n prints the rates in bit/s unscaled, as ss.`,
	Run: runSS,
}

// ssRow is one socket: the columns ss prints, and TCP's internals.
type ssRow struct {
	netid, state  string
	recvQ, sendQ  int
	local, remote netip.AddrPort // remote invalid: "*"
	info          *tcp.ConnInfo  // TCP connections (not listeners), for -i
}

func runSS(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "tualimn")
	if err != nil {
		return err
	}
	if len(o.args) != 0 {
		return usage("%s: unexpected argument (ss takes only options; no filters)", o.args[0])
	}
	if o.has('a') && o.has('l') {
		return usage("-a and -l: give one (-a all sockets, -l listening ones)")
	}
	wantTCP, wantUDP := o.has('t') || !o.has('u'), o.has('u') || !o.has('t')
	listening := func(r ssRow) bool { return r.state == "LISTEN" || r.state == "UNCONN" }
	var rows []ssRow
	add := func(r ssRow) {
		switch {
		case o.has('a'):
		case o.has('l') && !listening(r), !o.has('l') && listening(r):
			return
		}
		rows = append(rows, r)
	}
	if wantTCP {
		for _, c := range sh.Stack.TCP.Connections() {
			add(tcpRow(c))
		}
	}
	if wantUDP {
		for _, s := range sh.Stack.UDP.Sockets() {
			r := ssRow{netid: "udp", state: "UNCONN", recvQ: s.QueuedBytes, local: s.Local, remote: s.Remote}
			if s.Remote.IsValid() {
				r.state = "ESTAB"
			}
			add(r)
		}
	}
	printSS(sh.Out, rows, wantTCP && wantUDP, ssDetail{internals: o.has('i'), mem: o.has('m'), numeric: o.has('n')})
	return nil
}

func tcpRow(c tcp.ConnInfo) ssRow {
	r := ssRow{netid: "tcp", state: c.State.SSName(), recvQ: c.RecvQ, sendQ: c.SendQ, local: c.Local, remote: c.Remote}
	if c.State == tcp.Closed {
		r.state = "UNCONN" // as ss names a closed TCP socket
	}
	switch c.State {
	case tcp.Listen:
	case tcp.TimeWait:
		// Linux's TIME-WAIT socket is a small inet_timewait_sock with no
		// queues and no tcp_info: ss prints 0 0 and no internals, even
		// for a connection that left data unread.
		r.recvQ, r.sendQ = 0, 0
	default:
		r.info = &c
	}
	return r
}

// printSS prints rows in ss's columns: each address right-aligned to its
// colon, each port left-aligned after it, so the colons line up. The
// Netid column is there when more than one protocol is listed, as in ss.
// ssDetail is what goes under a TCP connection's row: -i, -m, and -n's
// unscaled rates.
type ssDetail struct{ internals, mem, numeric bool }

func printSS(w io.Writer, rows []ssRow, netid bool, d ssDetail) {
	stateW, addrW, portW := len("State"), len("Local Address"), len("Port")
	for _, r := range rows {
		stateW = max(stateW, len(r.state))
		for _, ap := range []netip.AddrPort{r.local, r.remote} {
			a, p := splitAddrPort(ap)
			addrW, portW = max(addrW, len(a)), max(portW, len(p))
		}
	}
	line := func(id, state, recvQ, sendQ, la, lp, ra, rp string) {
		s := ""
		if netid {
			s = fmt.Sprintf("%-5s ", id)
		}
		s += fmt.Sprintf("%-*s %-6s %-6s %*s:%-*s %*s:%-*s", stateW, state, recvQ, sendQ, addrW, la, portW, lp, addrW, ra, portW, rp)
		fmt.Fprintln(w, strings.TrimRight(s, " "))
	}
	line("Netid", "State", "Recv-Q", "Send-Q", "Local Address", "Port", "Peer Address", "Port")
	for _, r := range rows {
		la, lp := splitAddrPort(r.local)
		ra, rp := splitAddrPort(r.remote)
		line(r.netid, r.state, strconv.Itoa(r.recvQ), strconv.Itoa(r.sendQ), la, lp, ra, rp)
		if r.info != nil && (d.internals || d.mem) {
			fmt.Fprintln(w, "\t"+tcpDetails(r.info, d))
		}
	}
}

// splitAddrPort gives an address and port as ss prints them; a peer not
// yet known (a listener's, an unconnected socket's) is 0.0.0.0:*.
func splitAddrPort(ap netip.AddrPort) (string, string) {
	if !ap.IsValid() {
		return "0.0.0.0", "*"
	}
	return ap.Addr().String(), strconv.Itoa(int(ap.Port()))
}

// tcpDetails is the line under a connection: ss -m's skmem, then ss -i's
// internals, as ss -tmi prints them.
func tcpDetails(c *tcp.ConnInfo, d ssDetail) string {
	s := ""
	if d.mem {
		s = fmt.Sprintf(" skmem:(r%d,rb%d,t%d,tb%d)", c.RecvQ, c.RcvBuf, c.SendQ, c.SndBuf)
	}
	if d.internals {
		s += tcpInternals(c, d.numeric)
	}
	return s
}

// tcpInternals is ss -i's line for a connection, in ss's order and
// words; numeric (-n) prints rates in bits per second unscaled, as ss.
func tcpInternals(c *tcp.ConnInfo, numeric bool) string {
	var f []string
	if c.Timestamps {
		f = append(f, "ts")
	}
	if c.SACK {
		f = append(f, "sack")
	}
	f = append(f, c.CongestionControl)
	if c.WScaleOK {
		f = append(f, fmt.Sprintf("wscale:%d,%d", c.SndWScale, c.RcvWScale))
	}
	f = append(f, "rto:"+msec(c.RTO))
	if c.Retransmits > 0 {
		f = append(f, fmt.Sprintf("backoff:%d", c.Retransmits))
	}
	rttUS := float64(c.RTT.Microseconds()) // tcpi_rtt: ss leaves out rtt and send while it is 0
	if rttUS > 0 {
		f = append(f, "rtt:"+msec(c.RTT)+"/"+msec(c.RTTVar))
	}
	f = append(f, fmt.Sprintf("mss:%d", c.MSS))
	if c.RcvMSS > 0 {
		f = append(f, fmt.Sprintf("rcvmss:%d", c.RcvMSS))
	}
	f = append(f, fmt.Sprintf("cwnd:%d", c.Cwnd))
	if c.Ssthresh < 0xffff { // as ss: not tcp.InfiniteSsthresh, before the first loss
		f = append(f, fmt.Sprintf("ssthresh:%d", c.Ssthresh))
	}
	if rttUS > 0 && c.Cwnd > 0 { // ss's own figure: cwnd over srtt
		f = append(f, "send "+bitRate(float64(c.Cwnd*c.MSS)*8e6/rttUS, numeric))
	}
	if c.PacingRate > 0 {
		f = append(f, "pacing_rate "+bitRate(float64(c.PacingRate)*8, numeric))
	}
	if c.DeliveryRate > 0 {
		f = append(f, "delivery_rate "+bitRate(float64(c.DeliveryRate)*8, numeric))
	}
	if c.Delivered > 0 {
		f = append(f, fmt.Sprintf("delivered:%d", c.Delivered))
	}
	if c.AppLimited {
		f = append(f, "app_limited")
	}
	if c.RcvRTT > 0 {
		f = append(f, "rcv_rtt:"+msec(c.RcvRTT), fmt.Sprintf("rcv_space:%d", c.RcvSpace))
	}
	if c.MinRTT >= time.Microsecond {
		f = append(f, "minrtt:"+msec(c.MinRTT))
	}
	return " " + strings.Join(f, " ")
}

// bitRate prints bits per second as ss does: 887Mbps, 1.77Gbps (three
// significant digits), or with -n the whole number, 1770000000bps.
func bitRate(bps float64, numeric bool) string {
	scaled := func(div float64, unit string) string {
		return strconv.FormatFloat(bps/div, 'g', 3, 64) + unit + "bps"
	}
	switch {
	case numeric:
		return strconv.FormatFloat(bps, 'f', 0, 64) + "bps"
	case bps >= 1e12:
		return scaled(1e12, "T")
	case bps >= 1e9:
		return scaled(1e9, "G")
	case bps >= 1e6:
		return scaled(1e6, "M")
	case bps >= 1e3:
		return scaled(1e3, "K")
	}
	return strconv.FormatFloat(bps, 'g', 6, 64) + "bps" // C's %g
}

// msec prints d in milliseconds as ss does (%g: 204, 0.046): tcp_info
// holds microseconds, so at most three decimals.
func msec(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'g', 6, 64)
}
