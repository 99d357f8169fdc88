package sim

import (
	"sync"

	"github.com/gotapip/gotapip/netdev"
)

// Switch is a learning Ethernet switch (IEEE 802.1D without spanning tree):
// it learns which port each source MAC lives behind, forwards frames for a
// known MAC to that port only, and floods broadcasts, multicasts and
// unknown destinations to every other port.
type Switch struct {
	mu    sync.Mutex
	ports []*Port
	table map[netdev.MAC]*Port
}

// MaxMACs bounds the switch's MAC table; when full, the table is cleared
// (as a real switch ages entries out) rather than grown.
const MaxMACs = 4096

// portQueueLen bounds the frames waiting at each port, like a NIC ring.
const portQueueLen = 512

// NewSwitch returns a switch with no ports.
func NewSwitch() *Switch { return &Switch{table: map[netdev.MAC]*Port{}} }

// Port is one switch port; it is the netdev.Driver of the device plugged
// into it.
type Port struct {
	sw *Switch
	rx *netdev.FrameQueue // frames the switch delivers to this port's device
}

// NewPort plugs a new port into the switch.
func (s *Switch) NewPort() *Port {
	p := &Port{sw: s, rx: netdev.NewFrameQueue(portQueueLen)}
	s.mu.Lock()
	s.ports = append(s.ports, p)
	s.mu.Unlock()
	return p
}

// Queued is the number of frames waiting for the port's device.
func (p *Port) Queued() int { return p.rx.Len() }

func (p *Port) Kind() string                      { return "sim" }
func (p *Port) ReadFrame(buf []byte) (int, error) { return p.rx.Get(buf) }

// Close unplugs the port.
func (p *Port) Close() error {
	s := p.sw
	s.mu.Lock()
	for i, q := range s.ports {
		if q == p {
			s.ports = append(s.ports[:i:i], s.ports[i+1:]...)
			break
		}
	}
	for mac, q := range s.table {
		if q == p {
			delete(s.table, mac)
		}
	}
	s.mu.Unlock()
	p.rx.Close()
	return nil
}

// WriteFrame is a frame sent by the device on this port: the switch learns
// its source and forwards it. A full port queue loses the frame, as a
// congested switch would.
func (p *Port) WriteFrame(frame []byte) error {
	eth, err := netdev.ParseEthernet(frame)
	if err != nil {
		return nil // a runt never leaves the port
	}
	s := p.sw
	s.mu.Lock()
	if src := eth.Src(); !src.IsMulticast() {
		if len(s.table) >= MaxMACs {
			clear(s.table)
		}
		s.table[src] = p
	}
	dst := s.table[eth.Dst()]
	if eth.Dst().IsMulticast() {
		dst = nil
	}
	var out [16]*Port // flood targets; more ports than this are rare in a sim
	targets := out[:0]
	if dst != nil {
		targets = append(targets, dst)
	} else {
		for _, q := range s.ports {
			if q != p {
				targets = append(targets, q)
			}
		}
	}
	s.mu.Unlock()
	for _, q := range targets {
		if q != p {
			q.rx.Put(frame)
		}
	}
	return nil
}
