package ip

import (
	"encoding/binary"
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

// captureResolver keeps a copy of each datagram handed to the link.
type captureResolver struct{ sent [][]byte }

func (r *captureResolver) Resolve(_ *netdev.NetDev, _ netip.Addr, p *netdev.Packet) error {
	r.sent = append(r.sent, append([]byte(nil), p.Data()...))
	p.Free()
	return nil
}

var gsoSrc, gsoDst = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")

// gsoLayer is a Layer with one device, 10.0.0.1/24, over gsoDriver{tso}.
func gsoLayer(t *testing.T, tso bool) (*Layer, *captureResolver, *netdev.Pool) {
	t.Helper()
	pool, r := netdev.NewPool(), &captureResolver{}
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
	return l, r, pool
}

// superSegment is a TCP segment (20-byte header, seq 1000, flags CWR PSH
// ACK FIN) carrying n bytes, marked as TCP marks a super-frame of 1448-byte
// pieces.
func superSegment(pool *netdev.Pool, n int) *netdev.Packet {
	p := pool.Get(20 + n)
	b := p.Append(20 + n)
	binary.BigEndian.PutUint32(b[tcpSeqAt:], 1000)
	b[12], b[tcpFlagsAt] = 5<<4, tcpFlagCWR|tcpFlagPSH|0x10|tcpFlagFIN
	for i := range b[20:] {
		b[20+i] = byte(i)
	}
	p.SetChecksumPartial(tcpChecksumAt)
	p.SetGSO(1448, 20)
	return p
}

// A GSO super-frame of 20 KB leaves whole where the device cuts it; where
// it does not, it is cut here into 1448-byte pieces, never fragmented,
// each a datagram of its own with its own ID, sequence number and valid
// checksums, FIN and PSH on the last piece, CWR on the first.
func TestGSOSegmentedNotFragmented(t *testing.T) {
	const size = 20 << 10
	for _, tso := range []bool{true, false} {
		l, r, pool := gsoLayer(t, tso)
		if got := l.RouteOffloads(gsoDst).TSO; got != tso {
			t.Errorf("tso %v: RouteOffloads says TSO %v", tso, got)
		}
		if err := l.Output(superSegment(pool, size), gsoSrc, gsoDst, ProtoTCP, Options{DF: true}); err != nil {
			t.Fatalf("tso %v: %v", tso, err)
		}
		if l.FragStats.FragCreates.Load() != 0 {
			t.Errorf("tso %v: %d fragments made of a super-frame", tso, l.FragStats.FragCreates.Load())
		}
		if tso {
			if len(r.sent) != 1 || len(r.sent[0]) != HeaderLen+20+size {
				t.Errorf("with TSO: %d datagrams; want one of %d bytes", len(r.sent), HeaderLen+20+size)
			}
			continue
		}
		want := (size + 1447) / 1448
		if len(r.sent) != want {
			t.Fatalf("without TSO: %d datagrams, want %d pieces", len(r.sent), want)
		}
		for i, d := range r.sent {
			h, tcp := Header(d), d[HeaderLen:]
			last := i == len(r.sent)-1
			wantFlags := byte(0x10)
			if i == 0 {
				wantFlags |= tcpFlagCWR
			}
			if last {
				wantFlags |= tcpFlagPSH | tcpFlagFIN
			}
			switch {
			case len(d) > 1500 || (!last && len(d) != HeaderLen+20+1448):
				t.Errorf("piece %d: %d bytes", i, len(d))
			case Checksum(d[:HeaderLen], 0) != 0 || Checksum(tcp, PseudoSum(gsoSrc, gsoDst, ProtoTCP, len(tcp))) != 0:
				t.Errorf("piece %d: a checksum does not verify", i)
			case binary.BigEndian.Uint32(tcp[tcpSeqAt:]) != 1000+uint32(i*1448):
				t.Errorf("piece %d: seq %d, want %d", i, binary.BigEndian.Uint32(tcp[tcpSeqAt:]), 1000+i*1448)
			case tcp[tcpFlagsAt] != wantFlags:
				t.Errorf("piece %d: flags %#02x, want %#02x", i, tcp[tcpFlagsAt], wantFlags)
			case i > 0 && h.ID() != Header(r.sent[i-1]).ID()+1:
				t.Errorf("piece %d: ID %d after %d", i, h.ID(), Header(r.sent[i-1]).ID())
			}
		}
		if n := pool.InUse(); n != 0 {
			t.Errorf("%d packets in use, want 0", n)
		}
	}
}
