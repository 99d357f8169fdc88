package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/gotapip/gotapip/clock"
	"github.com/gotapip/gotapip/netdev"
)

var netemCommand = &Command{
	Name:  "netem",
	Usage: "[IFACE [loss P%] [duplicate P%] [reorder P%] [delay MS] [corrupt P%] [seed N] | IFACE off]",
	Brief: "link faults on the frames a device sends (tc-netem)",
	Help: `Applies faults to every frame IFACE sends, as Linux's netem qdisc
would (this kernel has none): loss drops P% of them, duplicate sends P%
twice, corrupt flips one bit past the Ethernet header in P%, reorder holds
P% back until the next frame has gone (at most 10 ms, or the delay), delay
holds every frame MS milliseconds (or 20ms, 1.5s). At most 1000 frames
wait; beyond that they are dropped and counted as overlimits. The random
draws come from seed N (default: a fresh seed, shown), so giving the same
seed replays the same faults for the same traffic. Each netem IFACE ...
replaces the faults set before (and its counters), as tc qdisc replace
does; netem IFACE off removes them. With no faults given, netem IFACE
shows what is set and what it did; netem alone shows every device.`,
	Run: runNetem,
}

func runNetem(ctx context.Context, sh *Shell, args []string) error {
	if len(args) == 0 {
		for _, d := range sh.Stack.Devices() {
			printNetem(sh.Out, d)
		}
		return nil
	}
	dev, err := sh.Stack.Device(args[0])
	if err != nil {
		return err
	}
	switch {
	case len(args) == 1:
		printNetem(sh.Out, dev)
		return nil
	case len(args) == 2 && args[1] == "off":
		dev.SetNetem(nil)
		return nil
	}
	f, err := parseFaults(args[1:])
	if err != nil {
		return err
	}
	dev.SetNetem(dev.NewNetem(f, clock.Real{}))
	fmt.Fprintln(sh.Out, netemLine(dev.Name(), f))
	return nil
}

// parseFaults reads "[loss P%] [duplicate P%] [reorder P%] [delay MS]
// [corrupt P%] [seed N]"; without a seed it draws one.
func parseFaults(args []string) (netdev.Faults, error) {
	var f netdev.Faults
	seeded := false
	if len(args)%2 != 0 {
		return f, usage("netem: %s wants a value", args[len(args)-1])
	}
	for i := 0; i < len(args); i += 2 {
		name, val := args[i], args[i+1]
		var err error
		switch name {
		case "loss":
			f.Loss, err = parsePercent(name, val)
		case "duplicate":
			f.Duplicate, err = parsePercent(name, val)
		case "reorder":
			f.Reorder, err = parsePercent(name, val)
		case "corrupt":
			f.Corrupt, err = parsePercent(name, val)
		case "delay":
			f.Delay, err = parseDelay(val)
		case "seed":
			f.Seed, err = strconv.ParseUint(val, 10, 64)
			if err != nil {
				err = usage("netem: seed %q is not a number from 0 to %d", val, uint64(1<<64-1))
			}
			seeded = true
		default:
			return f, usage("netem: unknown fault %q (loss, duplicate, reorder, delay, corrupt, seed)", name)
		}
		if err != nil {
			return f, err
		}
	}
	if f.IsZero() {
		return f, usage("netem: no fault given (netem IFACE shows them; netem IFACE off removes them)")
	}
	if !seeded {
		f.Seed = rand.Uint64() % 1e9 // short enough to type back
	}
	return f, nil
}

// parsePercent reads "10%", "0.5%" or "10" as a probability.
func parsePercent(name, s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || !(v >= 0 && v <= 100) {
		return 0, usage("netem: %s %q is not a percentage from 0%% to 100%% (like 10%% or 0.5%%)", name, s)
	}
	return v / 100, nil
}

var errBadDelay = errors.New("bad delay")

// parseDelay reads milliseconds ("20", "0.5") or a duration ("20ms", "1.5s").
func parseDelay(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if v, ferr := strconv.ParseFloat(s, 64); ferr == nil {
		d, err = 0, errBadDelay
		if v >= 0 && v <= float64(netdev.MaxNetemDelay/time.Millisecond) { // false for NaN
			d, err = time.Duration(v*float64(time.Millisecond)), nil
		}
	}
	if err != nil || d < 0 || d > netdev.MaxNetemDelay {
		return 0, usage("netem: delay %q is not a time from 0 to %v (milliseconds, like 20, or 20ms or 1.5s)", s, netdev.MaxNetemDelay)
	}
	return d, nil
}

// netemLine is tc's first line for a netem qdisc: the faults set.
func netemLine(dev string, f netdev.Faults) string {
	var b strings.Builder
	fmt.Fprintf(&b, "qdisc netem dev %s: limit %d", dev, netdev.NetemLimit)
	if f.Delay > 0 {
		fmt.Fprintf(&b, " delay %v", f.Delay)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", f.Loss}, {"duplicate", f.Duplicate}, {"reorder", f.Reorder}, {"corrupt", f.Corrupt}} {
		if p.v > 0 {
			fmt.Fprintf(&b, " %s %s%%", p.name, strconv.FormatFloat(p.v*100, 'g', 6, 64))
		}
	}
	fmt.Fprintf(&b, " seed %d", f.Seed)
	return b.String()
}

// printNetem shows d's faults and their counters, as tc -s qdisc show.
func printNetem(w io.Writer, d *netdev.NetDev) {
	n := d.Netem()
	if n == nil {
		fmt.Fprintf(w, "qdisc none dev %s: no faults\n", d.Name())
		return
	}
	st := &n.Stats
	fmt.Fprintln(w, netemLine(d.Name(), n.Faults()))
	fmt.Fprintf(w, " Sent %d bytes %d pkt (dropped %d, overlimits %d)\n",
		st.SentBytes.Load(), st.Sent.Load(), st.Dropped.Load(), st.Overlimits.Load())
	fmt.Fprintf(w, " duplicated %d reordered %d corrupted %d delayed %d errors %d\n",
		st.Duplicated.Load(), st.Reordered.Load(), st.Corrupted.Load(), st.Delayed.Load(), st.Errors.Load())
	fmt.Fprintf(w, " backlog %dp\n", n.Backlog())
}
