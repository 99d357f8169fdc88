package shell

import (
	"context"
	"fmt"

	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/internal/counters"
)

var statCommand = &Command{
	Name:  "stat",
	Usage: "[-z]",
	Brief: "counters of every layer, as the MIBs name them",
	Help: `Prints the counters of ARP, IP, ICMP (with messages by type), the
transports and each device, and the packet-buffer pool. -z zeroes them.`,
	Run: runStat,
}

func runStat(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "z")
	if err != nil {
		return err
	}
	if len(o.args) != 0 {
		return usage("stat takes no arguments but -z")
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
	w := sh.table()
	for _, g := range s.CounterGroups() {
		fmt.Fprintf(w, "%s:\n", g.Name)
		for _, c := range counters.Of(g.Stats) {
			fmt.Fprintf(w, "    %s\t%d\n", c.Name, c.Value.Load())
		}
		if g.Stats == &s.ICMP.Stats {
			printICMPHistogram(w, &s.ICMP.Stats)
		}
	}
	pool := s.Pool
	fmt.Fprintf(w, "Pool:\n    Allocs\t%d\n    Frees\t%d\n    InUse\t%d\n", pool.Allocs.Load(), pool.Frees.Load(), pool.InUse())
	return w.Flush()
}

// printICMPHistogram prints the messages by type that were seen, as
// netstat -s does ("ICMP input histogram").
func printICMPHistogram(w interface{ Write([]byte) (int, error) }, st *icmp.Stats) {
	for typ := range st.InType {
		if n := st.InType[typ].Load(); n > 0 {
			fmt.Fprintf(w, "    InType %s\t%d\n", icmp.MessageName(uint8(typ)), n)
		}
	}
	for typ := range st.OutType {
		if n := st.OutType[typ].Load(); n > 0 {
			fmt.Fprintf(w, "    OutType %s\t%d\n", icmp.MessageName(uint8(typ)), n)
		}
	}
}
