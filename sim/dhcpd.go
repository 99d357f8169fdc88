package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/gotapip/gotapip/dhcp"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/udp"
)

// DHCPConfig is what the sim's DHCP server hands out.
type DHCPConfig struct {
	First, Last netip.Addr    // the pool, inclusive, on the device's subnet
	Lease       time.Duration // default 1 hour
	T1, T2      time.Duration // 0: not sent (the client takes 1/2 and 7/8)
	Routers     []netip.Addr
	DNS         []netip.Addr
	Routes      []dhcp.Route // option 121, if any
}

// The sim LAN's pool and options: the router and its DNS.
var simDHCP = DHCPConfig{
	First: netip.MustParseAddr("10.0.0.50"), Last: netip.MustParseAddr("10.0.0.99"),
	Lease:   time.Hour,
	Routers: []netip.Addr{RouterAddr.Addr()}, DNS: []netip.Addr{RouterAddr.Addr()},
}

// DHCPServer is a small DHCP server (RFC 2131 4.3) on one device of a
// stack: an address per client hardware address from a pool, offered,
// then bound by a REQUEST; DECLINE takes an address out of the pool for a
// while, RELEASE frees it. It serves until the stack closes its socket.
type DHCPServer struct {
	cfg  DHCPConfig
	s    *stack.Stack
	dev  *netdev.NetDev
	sock *udp.Socket
	done chan struct{}

	mu       sync.Mutex
	byMAC    map[netdev.MAC]netip.Addr // at most one per address of the pool
	expiry   map[netip.Addr]time.Time  // bound addresses; an offer holds one a minute
	declined map[netip.Addr]time.Time  // not handed out until then
}

// StartDHCPServer serves cfg on dev, which must have an address.
func StartDHCPServer(s *stack.Stack, dev *netdev.NetDev, cfg DHCPConfig) (*DHCPServer, error) {
	if cfg.Lease == 0 {
		cfg.Lease = time.Hour
	}
	if !dev.Addr().IsValid() || !dev.Addr().Contains(cfg.First) || !dev.Addr().Contains(cfg.Last) || cfg.Last.Less(cfg.First) {
		return nil, fmt.Errorf("dhcpd: pool %v-%v is not within %s's subnet %v", cfg.First, cfg.Last, dev.Name(), dev.Addr())
	}
	sock, err := s.UDP.Listen(netip.AddrPortFrom(netip.IPv4Unspecified(), dhcp.ServerPort))
	if err != nil {
		return nil, fmt.Errorf("dhcpd: %w", err)
	}
	d := &DHCPServer{cfg: cfg, s: s, dev: dev, sock: sock, done: make(chan struct{}),
		byMAC: map[netdev.MAC]netip.Addr{}, expiry: map[netip.Addr]time.Time{}, declined: map[netip.Addr]time.Time{}}
	go d.serve()
	return d, nil
}

// Close stops the server.
func (d *DHCPServer) Close() {
	d.sock.Close()
	<-d.done
}

// Bound returns the address bound to mac, if any.
func (d *DHCPServer) Bound(mac netdev.MAC) (netip.Addr, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.byMAC[mac]
	return a, ok && d.expiry[a].After(d.s.Now())
}

func (d *DHCPServer) serve() {
	defer close(d.done)
	buf := make([]byte, udp.MaxPayload)
	for {
		n, _, err := d.sock.RecvFrom(context.Background(), buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		m, o, err := dhcp.Parse(buf[:n])
		if err != nil || m.Op() != dhcp.OpRequest { // not for a server, or broken: a server stays silent
			continue
		}
		d.handle(m, o)
	}
}

func (d *DHCPServer) handle(m dhcp.Message, o dhcp.Options) {
	me := d.dev.Addr().Addr()
	switch o.Type {
	case dhcp.Discover:
		if a, ok := d.pick(m.ClientMAC(), time.Minute); ok {
			d.reply(m, dhcp.Offer, a)
		}
	case dhcp.Request:
		if o.ServerID.IsValid() && o.ServerID != me {
			d.forget(m.ClientMAC()) // the client took another server's offer
			return
		}
		want := o.RequestedIP
		if !want.IsValid() {
			want = m.ClientIP()
		}
		if a, ok := d.pick(m.ClientMAC(), d.cfg.Lease); ok && a == want {
			d.reply(m, dhcp.Ack, a)
		} else {
			d.reply(m, dhcp.Nak, netip.Addr{})
		}
	case dhcp.Decline:
		d.mu.Lock()
		d.declined[o.RequestedIP] = d.s.Now().Add(10 * time.Minute)
		d.mu.Unlock()
		d.forget(m.ClientMAC())
	case dhcp.Release:
		d.forget(m.ClientMAC())
	}
}

// pick finds mac's address (its own, else a free one) and holds it for hold.
func (d *DHCPServer) pick(mac netdev.MAC, hold time.Duration) (netip.Addr, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.s.Now()
	a, ok := d.byMAC[mac]
	if !ok {
		for c := d.cfg.First; c.IsValid() && !d.cfg.Last.Less(c); c = c.Next() {
			if d.expiry[c].Before(now) && d.declined[c].Before(now) {
				a, ok = c, true
				break
			}
		}
	}
	if !ok {
		return netip.Addr{}, false // the pool is exhausted
	}
	for m, b := range d.byMAC { // an expired address given to someone else
		if b == a && m != mac {
			delete(d.byMAC, m)
		}
	}
	d.byMAC[mac], d.expiry[a] = a, now.Add(hold)
	return a, true
}

func (d *DHCPServer) forget(mac netdev.MAC) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.byMAC[mac]; ok {
		delete(d.expiry, a)
		delete(d.byMAC, mac)
	}
}

// reply answers m: by broadcast on the device unless the client has an
// address (ciaddr) to take a unicast.
func (d *DHCPServer) reply(m dhcp.Message, t dhcp.MessageType, yiaddr netip.Addr) {
	me := d.dev.Addr()
	var b dhcp.Builder
	b.AddType(t)
	b.AddAddrs(dhcp.OptServerID, me.Addr())
	if t != dhcp.Nak {
		d.addLeaseOptions(&b, me.Bits())
	}
	out := dhcp.Append(nil, dhcp.Fields{Op: dhcp.OpReply, XID: m.XID(), Flags: m.Flags(), YourIP: yiaddr, ClientMAC: m.ClientMAC()}, b)
	if ci := m.ClientIP(); t != dhcp.Nak && ci.IsValid() && !ci.IsUnspecified() {
		d.sock.SendTo(out, netip.AddrPortFrom(ci, dhcp.ClientPort))
		return
	}
	d.sock.SendOn(d.dev, out, me.Addr(), netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), dhcp.ClientPort))
}

func (d *DHCPServer) addLeaseOptions(b *dhcp.Builder, bits int) {
	b.AddSeconds(dhcp.OptLeaseTime, d.cfg.Lease)
	if d.cfg.T1 != 0 {
		b.AddSeconds(dhcp.OptRenewalTime, d.cfg.T1)
		b.AddSeconds(dhcp.OptRebindingTime, d.cfg.T2)
	}
	b.AddMask(bits)
	if len(d.cfg.Routers) > 0 {
		b.AddAddrs(dhcp.OptRouter, d.cfg.Routers...)
	}
	if len(d.cfg.DNS) > 0 {
		b.AddAddrs(dhcp.OptDNS, d.cfg.DNS...)
	}
	if len(d.cfg.Routes) > 0 {
		b.Add(dhcp.OptClasslessRoute, dhcp.AppendRoutes(nil, d.cfg.Routes))
	}
}

// startDHCP runs the LAN's DHCP server on the router's lan0 side; it ends
// when the router's stack closes its socket.
func (l *LAN) startDHCP() error {
	dev, err := l.Router.Device("eth0")
	if err != nil {
		return err
	}
	_, err = StartDHCPServer(l.Router, dev, simDHCP)
	return err
}
