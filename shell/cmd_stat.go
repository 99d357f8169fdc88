package shell

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/internal/counters"
	"github.com/gotapip/gotapip/stack"
)

var statCommand = &Command{
	Name:  "stat",
	Usage: "[-z]",
	Brief: "counters of every layer, by the names nstat prints",
	Help: `Prints every counter, zeros too, as nstat -az does: its MIB name (IpInReceives,
IcmpInEchoReps, UdpInDatagrams, TcpActiveOpens, ...) and its value since
start-up or the last stat -z. TCP's counters beyond the MIB are under
TcpExt, as Linux keeps them (TcpExtSyncookiesSent, TcpExtTCPChallengeACK,
TcpExtTCPTimeouts; the drops Linux has no counter for are this stack's
own: TcpExtNoConnection, TcpExtOutOfWindow, TcpExtBadACK,
TcpExtICMPIgnored, TcpExtNoBuffers). ARP's counters start with Arp, a
device's with its name (sim0.RxPackets), the packet-buffer pool's with
Pool. -z zeroes them, but not the levels (TcpCurrEstab, PoolInUse).`,
	Run: runStat,
}

func runStat(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "z")
	if err != nil {
		return err
	}
	if len(o.args) != 0 {
		return usage("takes no arguments but -z")
	}
	s := sh.Stack
	if o.has('z') {
		for _, g := range s.CounterGroups() {
			counters.Reset(g.Stats)
		}
		s.ICMP.Stats.Reset()
		fmt.Fprintln(sh.Out, "counters zeroed")
		return nil
	}
	// nstat's layout ("%-32s%-16llu%6.1f") without its rate column: nstat
	// estimates rates from a history file kept between runs; we keep none.
	fmt.Fprintln(sh.Out, "#gotapip")
	for _, r := range statRows(s) {
		fmt.Fprintf(sh.Out, "%-32s%d\n", r.name, r.value)
	}
	return nil
}

// statRow is one line of stat: a counter's nstat name and its value.
type statRow struct {
	name  string
	value uint64
}

// statRows reads every counter group of the stack, in order, then the
// packet-buffer pool's counts. ICMP's group adds its messages by type.
func statRows(s *stack.Stack) []statRow {
	var rows []statRow
	for _, g := range s.CounterGroups() {
		for _, c := range counters.Of(g.Stats) {
			name := g.Prefix + c.Name
			if c.Full {
				name = c.Name
			}
			rows = append(rows, statRow{name, c.Value.Load()})
		}
		if st, ok := g.Stats.(*icmp.Stats); ok {
			rows = append(rows, icmpTypeRows(g.Prefix, st)...)
		}
	}
	pool := s.Pool
	return append(rows,
		statRow{"PoolAllocs", pool.Allocs.Load()},
		statRow{"PoolFrees", pool.Frees.Load()},
		statRow{"PoolInUse", uint64(pool.InUse())})
}

// icmpMIBTypes are the message types the ICMP-MIB counts by name (RFC 2011:
// icmpInEchoReps, icmpOutDestUnreachs, ...), in /proc/net/snmp's order.
var icmpMIBTypes = []struct {
	typ  uint8
	name string
}{
	{icmp.TypeDestUnreach, "DestUnreachs"}, {icmp.TypeTimeExceeded, "TimeExcds"},
	{icmp.TypeParamProblem, "ParmProbs"}, {4, "SrcQuenchs"}, {5, "Redirects"},
	{icmp.TypeEchoRequest, "Echos"}, {icmp.TypeEchoReply, "EchoReps"},
	{13, "Timestamps"}, {14, "TimestampReps"}, {17, "AddrMasks"}, {18, "AddrMaskReps"},
}

// icmpTypeRows are ICMP's messages by type as Linux reports them: the
// MIB's named counters (IcmpInEchoReps), then, for each type seen, the
// IcmpMsg group's (IcmpMsgInType0), every In before every Out.
func icmpTypeRows(prefix string, st *icmp.Stats) []statRow {
	dirs := []struct {
		name   string
		byType *[256]atomic.Uint64
	}{{"In", &st.InType}, {"Out", &st.OutType}}
	var rows []statRow
	for _, dir := range dirs {
		for _, t := range icmpMIBTypes {
			rows = append(rows, statRow{prefix + dir.name + t.name, dir.byType[t.typ].Load()})
		}
	}
	for _, dir := range dirs {
		for typ := range dir.byType {
			if n := dir.byType[typ].Load(); n > 0 {
				rows = append(rows, statRow{fmt.Sprintf("%sMsg%sType%d", prefix, dir.name, typ), n})
			}
		}
	}
	return rows
}
