// Package sim is an embedded simulated LAN: a learning switch and a few
// hosts, each a gotapip stack of its own in the same process, so that
// ping, arpcache, route and UDP demos work with no root and no TAP.
//
//	          10.0.0.0/24 (switch "lan0")                 10.0.1.0/24 (switch "lan1")
//	you 10.0.0.1 --+-- host 10.0.0.2                 +-- host 10.0.1.2
//	               +-- router 10.0.0.254 | 10.0.1.1 -+
//
// 10.0.0.2 and 10.0.1.2 answer ping, echo UDP on port 7 (RFC 862), and
// over TCP echo on port 7, discard on port 9 (RFC 863) and serve a web
// page on port 80 (tcp.go); the router forwards between the two subnets,
// and both hosts route everything else through it. The router is also the
// LAN's name server (dns.go): host.sim, router.sim and far.sim resolve
// through it.
package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/udp"
)

// EchoPort is the UDP port the sim's hosts echo on (RFC 862).
const EchoPort = 7

// Addresses of the simulated LAN.
var (
	HostAddr    = netip.MustParsePrefix("10.0.0.2/24")
	RouterAddr  = netip.MustParsePrefix("10.0.0.254/24")
	RouterAddr2 = netip.MustParsePrefix("10.0.1.1/24")
	FarHostAddr = netip.MustParsePrefix("10.0.1.2/24")
)

// LAN is the simulated network and its hosts.
type LAN struct {
	Switch, FarSwitch *Switch
	Host, Router, Far *stack.Stack

	echoes   []*udp.Socket // the hosts' echo services
	echoDone sync.WaitGroup
	tcp      []*tcpServices
}

// Start builds the LAN and plugs a new port of it into s as a device named
// name with address addr. Close the LAN when done (after s).
func Start(s *stack.Stack, name string, addr netip.Prefix, mtu int) (*netdev.NetDev, *LAN, error) {
	lan := &LAN{Switch: NewSwitch(), FarSwitch: NewSwitch()}
	lan.Host = stack.New(stack.Config{})
	lan.Router = stack.New(stack.Config{})
	lan.Far = stack.New(stack.Config{})
	lan.Router.IP.Forwarding.Store(true)
	steps := []struct {
		host *stack.Stack
		sw   *Switch
		addr netip.Prefix
		gw   netip.Prefix
	}{
		{lan.Host, lan.Switch, HostAddr, RouterAddr},
		{lan.Router, lan.Switch, RouterAddr, netip.Prefix{}},
		{lan.Router, lan.FarSwitch, RouterAddr2, netip.Prefix{}},
		{lan.Far, lan.FarSwitch, FarHostAddr, RouterAddr2},
	}
	for _, st := range steps {
		name := fmt.Sprintf("eth%d", len(st.host.Devices())-1) // after lo
		dev, err := st.host.AddDevice(st.sw.NewPort(), netdev.Config{Name: name, MAC: stack.MACFor(st.addr.Addr())}, st.addr)
		if err != nil {
			lan.Close()
			return nil, nil, err
		}
		if st.gw.IsValid() {
			if err := st.host.AddDefaultRoute(dev, st.gw.Addr()); err != nil {
				lan.Close()
				return nil, nil, err
			}
		}
	}
	for _, h := range []struct {
		s    *stack.Stack
		addr netip.Prefix
	}{{lan.Host, HostAddr}, {lan.Far, FarHostAddr}} {
		err := lan.startEcho(h.s)
		if err == nil {
			err = lan.startTCP(h.s, h.addr.Addr().String())
		}
		if err != nil {
			lan.Close()
			return nil, nil, err
		}
	}
	if err := lan.serveDNS(); err != nil { // dns.go: the router answers for sim.
		lan.Close()
		return nil, nil, err
	}
	if err := lan.startDHCP(); err != nil { // dhcpd.go: dhclient sim0
		lan.Close()
		return nil, nil, err
	}
	dev, err := s.AddDevice(lan.Switch.NewPort(), netdev.Config{Name: name, MAC: stack.MACFor(addr.Addr()), MTU: mtu}, addr)
	if err != nil {
		lan.Close()
		return nil, nil, err
	}
	return dev, lan, nil
}

// startEcho runs an echo service on h's UDP port 7 until the LAN closes.
func (l *LAN) startEcho(h *stack.Stack) error {
	sock, err := h.UDP.Listen(netip.AddrPortFrom(netip.IPv4Unspecified(), EchoPort))
	if err != nil {
		return fmt.Errorf("sim: echo service: %w", err)
	}
	l.echoes = append(l.echoes, sock)
	l.echoDone.Add(1)
	go func() {
		defer l.echoDone.Done()
		buf := make([]byte, udp.MaxPayload)
		for {
			// A failed echo (no route back, say) is the sender's loss, as
			// on a real host; only closing the socket ends the service.
			if _, _, err := udp.Echo(context.Background(), sock, buf); errors.Is(err, net.ErrClosed) {
				return
			}
		}
	}()
	return nil
}

// Close stops the services and the simulated hosts.
func (l *LAN) Close() {
	for _, sock := range l.echoes {
		sock.Close()
	}
	l.echoDone.Wait()
	for _, svc := range l.tcp {
		svc.close()
	}
	for _, s := range []*stack.Stack{l.Host, l.Router, l.Far} {
		if s != nil {
			s.Close()
		}
	}
	for _, svc := range l.tcp {
		svc.done.Wait()
	}
}
