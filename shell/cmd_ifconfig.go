package shell

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

var ifconfigCommand = &Command{
	Name:  "ifconfig",
	Usage: "[IFACE [CIDR | mtu N | up | down]]",
	Brief: "show or configure the devices",
	Help: `With no arguments, shows every device as ifconfig(8) does: flags, MTU,
address, MAC and counters; a port of the simulated LAN says so after its
MAC (Ethernet, simulated LAN). IFACE CIDR sets the address (and the connected
route, with a gratuitous ARP); mtu sets the MTU; up and down switch it.`,
	Run: runIfconfig,
}

func runIfconfig(ctx context.Context, sh *Shell, args []string) error {
	if len(args) == 0 {
		for _, d := range sh.Stack.Devices() {
			sh.printDevice(d)
		}
		return nil
	}
	dev, err := sh.Stack.Device(args[0])
	if err != nil {
		return err
	}
	switch {
	case len(args) == 1:
		sh.printDevice(dev)
		return nil
	case len(args) == 2 && args[1] == "up":
		dev.SetUp(true)
		sh.Stack.ARP.Announce(dev)
		return nil
	case len(args) == 2 && args[1] == "down":
		dev.SetUp(false)
		return nil
	case len(args) == 3 && args[1] == "mtu":
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return usage("mtu %s: invalid argument (give a number of bytes, like 1500)", args[2])
		}
		return dev.SetMTU(n)
	case len(args) == 2:
		p, err := parseCIDR(args[1])
		if err != nil {
			return err
		}
		return sh.Stack.SetAddress(dev, p)
	}
	return usage("%s: unknown form", strings.Join(args, " "))
}

// Interface flags as ifconfig(8) prints them (Linux IFF_* values).
const (
	iffUp        = 0x1
	iffBroadcast = 0x2
	iffLoopback  = 0x8
	iffRunning   = 0x40
	iffMulticast = 0x1000
)

func deviceFlags(d *netdev.NetDev) string {
	var v int
	var names []string
	add := func(bit int, name string) { v |= bit; names = append(names, name) }
	if d.IsUp() {
		add(iffUp, "UP")
	}
	if d.IsLoopback() {
		add(iffLoopback, "LOOPBACK")
	} else {
		add(iffBroadcast, "BROADCAST")
	}
	if d.IsUp() {
		add(iffRunning, "RUNNING")
	}
	if !d.IsLoopback() {
		add(iffMulticast, "MULTICAST")
	}
	return fmt.Sprintf("flags=%d<%s>", v, strings.Join(names, ","))
}

// printDevice prints d as net-tools ifconfig does, line for line. The
// counters it has no source for (FIFO overruns, framing, carrier,
// collisions) are 0, as a Linux TAP shows them. The hardware type in
// brackets says when d is a port of the simulated LAN rather than a link
// to the kernel.
func (sh *Shell) printDevice(d *netdev.NetDev) {
	st := &d.Stats
	out := sh.Out
	fmt.Fprintf(out, "%s: %s  mtu %d\n", d.Name(), deviceFlags(d), d.MTU())
	if p := d.Addr(); p.IsValid() {
		mask := net.IP(net.CIDRMask(p.Bits(), 32)).String()
		fmt.Fprintf(out, "        inet %s  netmask %s", p.Addr(), mask)
		if !d.IsLoopback() && p.Bits() < 31 {
			fmt.Fprintf(out, "  broadcast %s", ip.DirectedBroadcast(p))
		}
		fmt.Fprintln(out)
	}
	switch {
	case d.IsLoopback():
		fmt.Fprintf(out, "        loop  txqueuelen %d  (Local Loopback)\n", netdev.LoopbackQueueLen)
	case d.Kind() == "sim":
		fmt.Fprintf(out, "        ether %s  txqueuelen 0  (Ethernet, simulated LAN)\n", d.MAC())
	default:
		fmt.Fprintf(out, "        ether %s  txqueuelen 0  (Ethernet)\n", d.MAC())
	}
	printOffloads(out, d)
	fmt.Fprintf(out, "        RX packets %d  bytes %d (%s)\n", st.RxPackets.Load(), st.RxBytes.Load(), humanBytes(st.RxBytes.Load()))
	fmt.Fprintf(out, "        RX errors %d  dropped %d  overruns 0  frame 0\n", st.RxErrors.Load(), st.RxDropped.Load())
	fmt.Fprintf(out, "        TX packets %d  bytes %d (%s)\n", st.TxPackets.Load(), st.TxBytes.Load(), humanBytes(st.TxBytes.Load()))
	fmt.Fprintf(out, "        TX errors %d  dropped %d overruns 0  carrier 0  collisions 0\n\n", st.TxErrors.Load(), st.TxDropped.Load())
}

// printOffloads adds, for a device with offloads in force, what ethtool -k
// would say is on, and how many super-frames went each way (each counts
// once in the packets below, as on the kernel's side of a TAP).
func printOffloads(out io.Writer, d *netdev.NetDev) {
	o := d.Offloads()
	if o == (netdev.Offloads{}) {
		return
	}
	fmt.Fprintf(out, "        offload %s\n", o)
	fmt.Fprintf(out, "        GSO frames out %d  GRO frames in %d\n", d.Stats.TxGSO.Load(), d.Stats.RxGRO.Load())
}

// humanBytes prints a byte count as ifconfig does: 3.1 KiB, 560.0 B.
func humanBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}
