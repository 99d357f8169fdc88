//go:build linux

package stack

import (
	"fmt"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/macvtap"
	"github.com/gotapip/gotapip/netdev/netmap"
	"github.com/gotapip/gotapip/netdev/packet"
	"github.com/gotapip/gotapip/netdev/tap"
)

// The drivers that reach a kernel interface (TAP, AF_PACKET, macvtap,
// netmap) are Linux's; open_other.go says so on the other systems.

func openDriver(spec DeviceSpec, opt DeviceOptions) (netdev.Driver, error) {
	switch spec.Kind {
	case "tap":
		t, err := tap.Open(spec.Iface, tap.Options{Offload: !opt.NoOffload})
		if err != nil {
			return nil, tapError(spec.Iface, err)
		}
		if err := tap.ConfigureKernelSide(t.Name(), opt.Peer); err != nil {
			t.Close()
			return nil, err
		}
		t.SetBusyPoll(opt.BusyPoll)
		return t, nil
	case "packet":
		return packet.Open(spec.Iface)
	case "macvtap":
		return macvtap.Open(spec.Iface, macvtap.Options{MAC: opt.MAC, Default: MACFor(opt.Addr.Addr())})
	case "netmap":
		return netmap.Open(spec.Iface)
	}
	return nil, fmt.Errorf("%v: %w here (the simulated LAN is tapip -dev sim)", spec, ErrUnsupported)
}
