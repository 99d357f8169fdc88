package shell

import (
	"context"
	"fmt"
	"strings"

	"github.com/gotapip/gotapip/stack"
)

var netdevCommand = &Command{
	Name:  "netdev",
	Usage: "[add SPEC [CIDR] [peer CIDR|none] | del IFACE]",
	Brief: "list, add or remove devices",
	Help: `With no arguments, lists the devices with their driver. add opens one
more device (SPEC as -dev: tap:NAME, packet:IFACE, netmap:IFACE) with our
address CIDR; for a TAP, peer gives the kernel side an address (default:
none, so a script can move it into another namespace). del closes a device
and removes its routes and neighbours. A router needs two: see ipfwd.`,
	Run: runNetdev,
}

func runNetdev(ctx context.Context, sh *Shell, args []string) error {
	s := sh.Stack
	switch {
	case len(args) == 0:
		w := sh.table()
		fmt.Fprintln(w, "Iface\tDriver\tHWaddr\tAddress\tMTU\tState")
		for _, d := range s.Devices() {
			state := "DOWN"
			if d.IsUp() {
				state = "UP"
			}
			addr := "-"
			if d.Addr().IsValid() {
				addr = d.Addr().String()
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", d.Name(), d.Kind(), d.MAC(), addr, d.MTU(), state)
		}
		return w.Flush()
	case args[0] == "add" && len(args) >= 2:
		spec, err := stack.ParseDeviceSpec(args[1])
		if err != nil {
			return err
		}
		opt, err := parseNetdevOptions(args[2:])
		if err != nil {
			return err
		}
		dev, err := s.OpenDevice(spec, opt)
		if err != nil {
			return err
		}
		fmt.Fprintf(sh.Out, "%s: added (%s, %s)\n", dev.Name(), dev.Kind(), dev.MAC())
		return nil
	case args[0] == "del" && len(args) == 2:
		dev, err := s.Device(args[1])
		if err != nil {
			return err
		}
		if dev.IsLoopback() {
			return fmt.Errorf("%s: the loopback device cannot be removed (del another device)", dev.Name())
		}
		s.RemoveDevice(dev)
		return nil
	}
	return usage("%s: unknown form", strings.Join(args, " "))
}

// parseNetdevOptions reads "[CIDR] [peer CIDR|none]".
func parseNetdevOptions(args []string) (stack.DeviceOptions, error) {
	var opt stack.DeviceOptions
	var err error
	if len(args) > 0 && args[0] != "peer" {
		if opt.Addr, err = parseCIDR(args[0]); err != nil {
			return opt, err
		}
		args = args[1:]
	}
	switch {
	case len(args) == 0:
	case len(args) == 2 && args[0] == "peer" && args[1] == "none":
	case len(args) == 2 && args[0] == "peer":
		if opt.Peer, err = parseCIDR(args[1]); err != nil {
			return opt, err
		}
	default:
		return opt, usage("add: %s: unknown form (give [CIDR] [peer CIDR|none])", strings.Join(args, " "))
	}
	return opt, nil
}
