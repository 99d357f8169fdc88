package ip

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/gotapip/gotapip/netdev"
)

// gsoDriver is a driver whose kernel side cuts super-frames (or not, when
// tso is false).
type gsoDriver struct{ tso bool }

func (gsoDriver) ReadFrame([]byte) (int, error) { select {} }
func (gsoDriver) WriteFrame([]byte) error       { return nil }
func (gsoDriver) Close() error                  { return nil }
func (gsoDriver) Kind() string                  { return "test" }
func (gsoDriver) WriteVnetFrame([]byte) error   { return nil }
func (d gsoDriver) Offloads() netdev.Offloads {
	if !d.tso {
		return netdev.Offloads{}
	}
	return netdev.Offloads{TxChecksum: true, TSO: true, GSOMaxSize: 65535}
}

// countResolver counts the datagrams handed to the link, and their sizes.
type countResolver struct{ sizes []int }

func (r *countResolver) Resolve(_ *netdev.NetDev, _ netip.Addr, p *netdev.Packet) error {
	r.sizes = append(r.sizes, p.Len())
	p.Free()
	return nil
}

// A GSO super-frame of 20 KB leaves whole where the device cuts it, and
// is refused, never fragmented, where it does not (even without DF):
// ip lets a datagram exceed the MTU only when it is GSO and the device
// can take it.
func TestGSONeverFragmented(t *testing.T) {
	for _, tso := range []bool{true, false} {
		pool := netdev.NewPool()
		r := &countResolver{}
		l := NewLayer(pool, r)
		dev, err := netdev.New(netdev.Config{Name: "t0", MAC: netdev.MAC{2, 0, 0, 0, 0, 1}}, gsoDriver{tso}, &netdev.Demux{}, pool)
		if err != nil {
			t.Fatal(err)
		}
		dev.SetUp(true)
		l.AttachDevice(dev)
		if err := l.SetAddress(dev, netip.MustParsePrefix("10.0.0.1/24")); err != nil {
			t.Fatal(err)
		}
		if got := l.RouteOffloads(netip.MustParseAddr("10.0.0.2")).TSO; got != tso {
			t.Errorf("tso %v: RouteOffloads says TSO %v", tso, got)
		}
		p := pool.Get(20 << 10)
		p.Append(20 << 10)
		p.SetChecksumPartial(16)
		p.SetGSO(1448, 20)
		err = l.Output(p, netip.Addr{}, netip.MustParseAddr("10.0.0.2"), ProtoTCP, Options{})
		switch {
		case tso && (err != nil || len(r.sizes) != 1 || r.sizes[0] != 20<<10+HeaderLen):
			t.Errorf("with TSO: %v, sizes %v; want one datagram of %d bytes", err, r.sizes, 20<<10+HeaderLen)
		case !tso && (!errors.Is(err, ErrMsgSize) || len(r.sizes) != 0 || l.FragStats.FragCreates.Load() != 0):
			t.Errorf("without TSO: %v, sizes %v, %d fragments; want ErrMsgSize and nothing sent", err, r.sizes, l.FragStats.FragCreates.Load())
		}
		if n := pool.InUse(); n != 0 {
			t.Errorf("tso %v: %d packets in use, want 0", tso, n)
		}
	}
}
