package shell

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/ip"
)

var pingCommand = &Command{
	Name:  "ping",
	Usage: "[-c COUNT] [-s SIZE] [-i INTERVAL] [-t TTL] [-W TIMEOUT] [-M do|dont] [-q] HOST",
	Brief: "send ICMP echo requests, as iputils ping",
	Help: `HOST is an IPv4 address, or a name the stack's name servers resolve
(resolv). Sends an echo request every INTERVAL seconds (default 1) until
COUNT have been sent or Ctrl-C, then prints the statistics. SIZE is the data
length (default 56, so 84-byte datagrams). -W is how long to wait for the
last replies, in seconds (default 10 if none came, else twice the longest
RTT or the interval, whichever is longer). -M do sets DF. -q prints only the
summary. Fails when no reply came.`,
	Run: runPing,
}

type pingConfig struct {
	host     string     // as given: a name or an address
	dst      netip.Addr // host resolved
	count    int        // 0: until Ctrl-C
	interval time.Duration
	linger   time.Duration // -W; 0: the iputils default
	quiet    bool
	send     icmp.SendOptions
}

func parsePing(args []string) (pingConfig, error) {
	o, err := parseOpts(args, "c:s:i:t:W:M:q")
	if err != nil {
		return pingConfig{}, err
	}
	var pc pingConfig
	if len(o.args) != 1 {
		return pc, usage("give one destination host")
	}
	pc.host = o.args[0]
	size, err := o.intOpt('s', 56, 0, icmp.MaxPingPayload)
	if err != nil {
		return pc, err
	}
	ttl, err := o.intOpt('t', 64, 1, 255)
	if err != nil {
		return pc, err
	}
	pc.send = icmp.SendOptions{Size: size, TTL: uint8(ttl)}
	if pc.count, err = o.intOpt('c', 0, 1, math.MaxInt32); err != nil {
		return pc, err
	}
	if pc.interval, err = o.secondsOpt('i', time.Second, time.Millisecond, time.Hour); err != nil {
		return pc, err
	}
	if pc.linger, err = o.secondsOpt('W', 0, time.Millisecond, time.Hour); err != nil {
		return pc, err
	}
	switch m := o.set['M']; {
	case !o.has('M') || m == "dont":
	case m == "do":
		pc.send.DF = true
	default:
		return pc, usage("-M %s: invalid argument (give do or dont)", m)
	}
	pc.quiet = o.has('q')
	return pc, nil
}

func runPing(ctx context.Context, sh *Shell, args []string) error {
	return ping(ctx, sh, args, newPingStats())
}

// ping runs the ping command with st as its state so far: a fresh one for
// the command, one that has already gone round the sequence numbers in
// tests of the wrap (export_test.go).
func ping(ctx context.Context, sh *Shell, args []string, st *pingStats) error {
	pc, err := parsePing(args)
	if err != nil {
		return err
	}
	if pc.dst, err = sh.resolveHost(ctx, pc.host); err != nil {
		if ctx.Err() != nil {
			return nil // Ctrl-C
		}
		return err
	}
	// iputils ping connects a socket first, so a destination with no route
	// fails here, before anything is sent or printed.
	if _, err := sh.Stack.IP.SourceAddr(pc.dst); err != nil {
		return fmt.Errorf("connect: %s", strerror(err))
	}
	pg, err := sh.Stack.ICMP.NewPinger()
	if err != nil {
		return err
	}
	defer pg.Close()
	fmt.Fprintf(sh.Out, "PING %s (%s) %d(%d) bytes of data.\n", pc.host, pc.dst, pc.send.Size, pc.send.Size+28)
	st.start = time.Now()
	st.loop(ctx, sh, pg, pc)
	st.summary(sh, pc.host)
	if st.received == 0 {
		return ErrFailed
	}
	return nil
}

// pingStats is what one ping run counted.
type pingStats struct {
	start, last                    time.Time // last: the last request sent (iputils' cur_time)
	sent, received, errors, dups   int
	pipe                           int     // most requests outstanding when one was answered
	rttMin, rttMax, rttSum, rttSq2 float64 // milliseconds
	// seq is the sequence number of the last request sent, so the first is
	// 1 as in iputils; after 65535 comes 0.
	seq  uint16
	seen map[uint16]bool // sequence numbers answered since each was last sent
}

func newPingStats() *pingStats { return &pingStats{seen: map[uint16]bool{}} }

// loop sends on the interval and prints replies until count is reached and
// the last replies are in (or waited for), or ctx is cancelled.
func (st *pingStats) loop(ctx context.Context, sh *Shell, pg *icmp.Pinger, pc pingConfig) {
	tick := time.NewTicker(pc.interval)
	defer tick.Stop()
	var lingerC <-chan time.Time
	st.sendOne(sh, pg, pc)
	for {
		if pc.count > 0 && st.sent >= pc.count && lingerC == nil {
			if st.received+st.errors >= st.sent {
				return
			}
			lingerC = time.After(st.lingerTime(pc))
		}
		select {
		case <-ctx.Done():
			return
		case <-lingerC:
			return
		case <-tick.C:
			if pc.count == 0 || st.sent < pc.count {
				st.sendOne(sh, pg, pc)
			}
		case r := <-pg.Replies():
			st.onReply(sh, r, pc)
			if lingerC != nil && st.received+st.errors >= st.sent {
				return
			}
		}
	}
}

func (st *pingStats) sendOne(sh *Shell, pg *icmp.Pinger, pc pingConfig) {
	st.sent++
	st.last = time.Now()
	st.seq++
	delete(st.seen, st.seq) // the sequence wraps at 65536: a reply to this one is new (iputils' rcvd_clear)
	if err := pg.Send(pc.dst, st.seq, pc.send); err != nil {
		st.errors++
		fmt.Fprintf(sh.Err, "ping: %s\n", sh.sendError(pc.dst, err))
	}
}

// lingerTime is how long to wait for the last replies, as iputils waits.
func (st *pingStats) lingerTime(pc pingConfig) time.Duration {
	switch {
	case pc.linger > 0:
		return pc.linger
	case st.received == 0:
		return 10 * time.Second
	}
	return max(time.Duration(2*st.rttMax*float64(time.Millisecond)), pc.interval)
}

func (st *pingStats) onReply(sh *Shell, r icmp.Reply, pc pingConfig) {
	// As iputils' acknowledge: requests sent up to this one's answer.
	if outstanding := st.seq - r.Seq; outstanding <= 0x7fff {
		st.pipe = max(st.pipe, int(outstanding)+1)
	}
	if r.Err != nil {
		st.errors++
		if !pc.quiet {
			fmt.Fprintf(sh.Out, "From %s icmp_seq=%d %s\n", r.From, r.Seq, r.Err)
		}
		return
	}
	dup := st.seen[r.Seq]
	if dup {
		st.dups++
	} else {
		st.seen[r.Seq] = true
		st.received++
		ms := float64(r.RTT) / float64(time.Millisecond)
		if st.received == 1 || ms < st.rttMin {
			st.rttMin = ms
		}
		st.rttMax = max(st.rttMax, ms)
		st.rttSum += ms
		st.rttSq2 += ms * ms
	}
	if pc.quiet {
		return
	}
	line := fmt.Sprintf("%d bytes from %s: icmp_seq=%d ttl=%d time=%s ms", r.Bytes, r.From, r.Seq, r.TTL, formatRTT(r.RTT))
	if dup {
		line += " (DUP!)"
	}
	fmt.Fprintln(sh.Out, line)
}

// formatRTT prints an RTT with the precision iputils uses: three decimals
// under 1 ms, two under 10 ms, one under 100 ms, none above.
func formatRTT(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 1:
		return strconv.FormatFloat(ms, 'f', 3, 64)
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 2, 64)
	case ms < 100:
		return strconv.FormatFloat(ms, 'f', 1, 64)
	}
	return strconv.FormatFloat(ms, 'f', 0, 64)
}

func (st *pingStats) summary(sh *Shell, dst string) {
	fmt.Fprintf(sh.Out, "\n--- %s ping statistics ---\n", dst)
	line := fmt.Sprintf("%d packets transmitted, %d received", st.sent, st.received)
	if st.dups > 0 {
		line += fmt.Sprintf(", +%d duplicates", st.dups)
	}
	if st.errors > 0 {
		line += fmt.Sprintf(", +%d errors", st.errors)
	}
	loss := 0.0
	if st.sent > 0 {
		loss = float64(st.sent-st.received) * 100 / float64(st.sent)
	}
	elapsed := st.last.Sub(st.start).Milliseconds()
	fmt.Fprintf(sh.Out, "%s, %s%% packet loss, time %dms\n", line, strconv.FormatFloat(loss, 'g', 6, 64), elapsed)
	// The second line, empty when there is nothing to say, as iputils
	// prints it: the round trips, and the pipe when requests overlapped
	// (answers slower than the interval, or errors after ARP gave up).
	var second []string
	if st.received > 0 {
		n := float64(st.received)
		avg := st.rttSum / n
		mdev := math.Sqrt(max(st.rttSq2/n-avg*avg, 0))
		second = append(second, fmt.Sprintf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms", st.rttMin, avg, st.rttMax, mdev))
	}
	if st.pipe > 1 {
		second = append(second, fmt.Sprintf("pipe %d", st.pipe))
	}
	fmt.Fprintln(sh.Out, strings.Join(second, ", "))
}

// sendError words a failed send as iputils ping does: "local error:
// message too long, mtu=1500" for a datagram DF forbids to fragment, else
// "sendmsg: " and the error as strerror(3) says it.
func (sh *Shell) sendError(dst netip.Addr, err error) string {
	if errors.Is(err, ip.ErrFragNeeded) {
		if r, ok := sh.Stack.IP.Routes.Lookup(dst); ok {
			return fmt.Sprintf("local error: message too long, mtu=%d", r.Dev.MTU())
		}
	}
	return "sendmsg: " + strerror(err)
}
