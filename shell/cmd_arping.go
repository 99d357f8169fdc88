package shell

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

var arpingCommand = &Command{
	Name:  "arping",
	Usage: "[-c COUNT] [-w DEADLINE] [-I IFACE] IP",
	Brief: "send ARP requests and print the replies, as iputils arping",
	Help: `Broadcasts "who-has IP" once a second until COUNT requests were sent or
Ctrl-C, printing each reply with its time; -w ends the run after DEADLINE
seconds whatever was sent. The device is IFACE, or the one whose subnet
holds IP. Fails when nothing answered.`,
	Run: runArping,
}

func runArping(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "c:w:I:")
	if err != nil {
		return err
	}
	if len(o.args) != 1 {
		return usage("give one IPv4 address")
	}
	target, err := parseIPv4(o.args[0])
	if err != nil {
		return err
	}
	count, err := o.intOpt('c', math.MaxInt32, 1, math.MaxInt32)
	if err != nil {
		return err
	}
	// -w is iputils' deadline: the whole run ends then, sent or not; without
	// it arping waits one interval for the last reply.
	deadline, err := o.secondsOpt('w', 0, time.Millisecond, time.Hour)
	if err != nil {
		return err
	}
	var rest []string
	if o.has('I') {
		rest = []string{"dev", o.set['I']}
	}
	dev, err := sh.deviceFor(target, rest)
	if err != nil && !o.has('I') {
		return fmt.Errorf("%v: on no device's subnet (give -I IFACE)", target)
	}
	if err != nil {
		return err
	}
	probe, err := sh.Stack.ARP.NewProbe(target)
	if err != nil {
		return err
	}
	defer probe.Close()
	fmt.Fprintf(sh.Out, "ARPING %s from %s %s\n", target, dev.Addr().Addr(), dev.Name())
	sent, received := 0, 0
	var lastSent time.Time
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	send := func() { probe.Request(dev); sent++; lastSent = time.Now() }
	send()
	var end <-chan time.Time
	if deadline > 0 {
		end = time.After(deadline)
	}
loop:
	for {
		if sent >= count && end == nil {
			end = time.After(time.Second)
		}
		select {
		case <-ctx.Done():
			break loop
		case <-end:
			break loop
		case <-tick.C:
			if sent < count {
				send()
			}
		case a := <-probe.Answers():
			received++
			kind := "Unicast"
			if a.Broadcast {
				kind = "Broadcast"
			}
			us := float64(time.Since(lastSent).Microseconds()) / 1000
			fmt.Fprintf(sh.Out, "%s reply from %s [%s]  %.3fms\n", kind, target, upperMAC(a.MAC), us)
			if sent >= count && received >= sent {
				break loop
			}
		}
	}
	fmt.Fprintf(sh.Out, "Sent %d probes (%d broadcast(s))\nReceived %d response(s)\n", sent, sent, received)
	if received == 0 {
		return ErrFailed
	}
	return nil
}

// upperMAC prints a MAC as iputils arping does: upper-case hex.
func upperMAC(m netdev.MAC) string { return strings.ToUpper(m.String()) }
