package udp

import (
	"net/netip"
	"slices"
	"sync/atomic"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// Protocol is one stack's UDP: its port table, sockets and counters.
type Protocol struct {
	Stats Stats
	// Tracer sees each datagram in, out and dropped (debug udp); the
	// stack installs the one its layers share. nil traces nothing.
	Tracer *netdev.Tracer

	ip     *ip.Layer
	pool   *netdev.Pool
	ports  portTable
	queued atomic.Int64 // datagrams waiting in all sockets
}

// New returns UDP over the IP layer l. The stack registers Input for
// protocol 17 and HandleError as its error handler.
func New(l *ip.Layer, pool *netdev.Pool) *Protocol {
	u := &Protocol{ip: l, pool: pool}
	u.ports.init()
	return u
}

// Sockets lists the open sockets' table rows, by local port and address.
func (u *Protocol) Sockets() []Info {
	socks := u.ports.list()
	out := make([]Info, 0, len(socks))
	for _, s := range socks {
		out = append(out, s.Info())
	}
	slices.SortFunc(out, func(a, b Info) int {
		if a.Local.Port() != b.Local.Port() {
			return int(a.Local.Port()) - int(b.Local.Port())
		}
		if c := a.Local.Addr().Compare(b.Local.Addr()); c != 0 {
			return c
		}
		return a.Remote.Compare(b.Remote)
	})
	return out
}

// Input is the IP protocol handler for UDP: p's data starts at the UDP
// header. A flat ladder of checks, each with its counter; a datagram that
// passes goes to one socket's queue (with its data pulled to the payload).
// Datagrams to a unicast address with no socket on the port get an ICMP
// port unreachable; broadcasts get none. It owns p and never fails.
func (u *Protocol) Input(p *netdev.Packet, iph ip.Header) {
	h, err := Parse(p.Data())
	if err != nil {
		u.drop(p, &u.Stats.InErrors, err.Error())
		return
	}
	p.Trim(h.Length())
	src, dst := iph.Src(), iph.Dst()
	if !p.ChecksumVerified() { // else a TAP's kernel left it partial, or checked it
		err = h.Verify(src, dst)
	}
	if err != nil {
		u.Stats.InCsumErrors.Add(1)
		u.drop(p, &u.Stats.InErrors, err.Error())
		return
	}
	unicast := p.Type == netdev.PacketHost && !dst.IsMulticast() && (p.Dev == nil || !ip.IsBroadcast(p.Dev, dst))
	var s *Socket
	if !dst.IsMulticast() { // no group memberships yet: multicast reaches no socket
		s = u.ports.lookup(netip.AddrPortFrom(src, h.SrcPort()), netip.AddrPortFrom(dst, h.DstPort()), !unicast)
	}
	if s == nil {
		if !unicast {
			u.drop(p, &u.Stats.IgnoredMulti, "broadcast or multicast to a port with no socket")
			return
		}
		u.Stats.NoPorts.Add(1) // before the error goes out: its sender may look
		u.Tracer.Drop(netdev.LayerUDP, p.Dev, p.Data(), "no socket on the port: port unreachable")
		u.ip.ReportError(p, ip.PortUnreachable, 0)
		p.Free()
		return
	}
	if u.queued.Load() >= MaxQueuedTotal {
		u.Stats.RcvbufErrors.Add(1)
		u.drop(p, &u.Stats.InErrors, "the stack's sockets hold too many datagrams")
		return
	}
	u.Tracer.Trace(netdev.LayerUDP, netdev.TraceIn, p.Dev, p.Data())
	p.Pull(HeaderLen)
	// Counted before the reader can see it (and taken back if it does not fit).
	u.queued.Add(1)
	u.Stats.InDatagrams.Add(1)
	dev := p.Dev // p belongs to the reader once queued
	p = u.pool.Compact(p)
	if !s.q.put(p) {
		u.queued.Add(-1)
		u.Stats.InDatagrams.Add(^uint64(0))
		u.Stats.RcvbufErrors.Add(1)
		u.Stats.InErrors.Add(1) // data pulled to the payload: the header is gone from p.Data()
		u.Tracer.Drop(netdev.LayerUDP, p.Dev, p.Transport(), "the socket's receive queue is full")
		p.Free()
		return
	}
	dev.YieldAfterReceive()
}

// Queued is how many datagrams wait in all the sockets' receive queues.
func (u *Protocol) Queued() int { return int(u.queued.Load()) }

// drop counts a datagram under counter, tells the tracer why, and frees it.
func (u *Protocol) drop(p *netdev.Packet, counter *atomic.Uint64, reason string) {
	u.Tracer.DropPacket(netdev.LayerUDP, p, counter, reason)
}
