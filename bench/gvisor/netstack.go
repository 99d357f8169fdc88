package main

import (
	"fmt"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/fdbased"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

const (
	nicID = 1
	// tapMTU is a fresh TAP's MTU, which the kernel side keeps.
	tapMTU = 1500
)

// ourMAC is locally administered (02:...), so it clashes with no vendor's.
var ourMAC = tcpip.LinkAddress("\x02\x67\x76\x69\x73\x01")

// newLink wraps the TAP descriptor in a gVisor link endpoint: with offload
// our virtio-net endpoint (host GSO), without it gVisor's own fdbased
// endpoint on plain frames, the way gVisor's tun_tcp_echo sample does.
func newLink(fd int, offload bool) (stack.LinkEndpoint, error) {
	if offload {
		return newVnetLink(fd, tapMTU, ourMAC)
	}
	return fdbased.New(&fdbased.Options{
		FDs:            []int{fd},
		MTU:            tapMTU,
		EthernetHeader: true,
		Address:        ourMAC,
	})
}

// newStack builds IPv4 + ARP + ICMP + TCP on one NIC holding addr, with a
// route for addr's subnet, and TCP set up the way Tailscale's netstack
// sets it (wgengine/netstack): SACK on, CUBIC, receive-buffer moderation,
// buffers up to 8 MiB (receive) and 6 MiB (send), RACK off (Tailscale
// turns it off for spurious retransmissions under load).
func newStack(link stack.LinkEndpoint, addr netip.Prefix) (*stack.Stack, error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, icmp.NewProtocol4},
	})
	if err := setTCPOptions(s); err != nil {
		return nil, err
	}
	if err := s.CreateNIC(nicID, link); err != nil {
		return nil, fmt.Errorf("create NIC: %v", err)
	}
	ours := tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(addr.Addr().As4()), PrefixLen: addr.Bits()}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: ours}
	if err := s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		return nil, fmt.Errorf("add address %v: %v", addr, err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: ours.Subnet(), NIC: nicID}})
	return s, nil
}

func setTCPOptions(s *stack.Stack) error {
	sack := tcpip.TCPSACKEnabled(true)
	cubic := tcpip.CongestionControlOption("cubic")
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	noRACK := tcpip.TCPRecovery(0)
	rcv := tcpip.TCPReceiveBufferSizeRangeOption{Min: tcp.MinBufferSize, Default: tcp.DefaultReceiveBufferSize, Max: 8 << 20}
	snd := tcpip.TCPSendBufferSizeRangeOption{Min: tcp.MinBufferSize, Default: tcp.DefaultSendBufferSize, Max: 6 << 20}
	for _, opt := range []tcpip.SettableTransportProtocolOption{&sack, &cubic, &moderate, &noRACK, &rcv, &snd} {
		if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, opt); err != nil {
			return fmt.Errorf("TCP option %T: %v", opt, err)
		}
	}
	return nil
}
