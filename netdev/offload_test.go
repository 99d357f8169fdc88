package netdev

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/checksum"
	"github.com/gotapip/gotapip/internal/fakeclock"
	"github.com/gotapip/gotapip/netdev/vnet"
)

// vnetDriver is a fakeDriver whose kernel side takes offloads: frames are
// written and read behind a virtio_net_hdr (offload.go).
type vnetDriver struct {
	*fakeDriver
	offloads Offloads
}

func (v vnetDriver) Offloads() Offloads                  { return v.offloads }
func (v vnetDriver) WriteVnetFrame(b []byte) error       { return v.WriteFrame(b) }
func (v vnetDriver) ReadVnetFrame(b []byte) (int, error) { return v.ReadFrame(b) }

var allOffloads = Offloads{TxChecksum: true, TSO: true, RxVnet: true, GSOMaxSize: 65535}

func newVnetDev(t *testing.T, o Offloads) (*NetDev, vnetDriver, *Demux, *Pool) {
	t.Helper()
	drv := vnetDriver{newFakeDriver(), o}
	demux, pool := &Demux{}, NewPool()
	d, err := New(Config{Name: "tap0", MAC: macA}, drv, demux, pool)
	if err != nil {
		t.Fatal(err)
	}
	d.SetUp(true)
	return d, drv, demux, pool
}

// tcpSegment is an IPv4 + TCP datagram (the TCP header 32 bytes, as with
// timestamps) carrying n bytes, marked as TCP marks a super-frame: the
// checksum field holds seed, partial, and pieces of mss bytes.
func tcpSegment(pool *Pool, n, mss int, seed uint16) *Packet {
	p := pool.Get(20 + 32 + n)
	b := p.Append(20 + 32 + n)
	b[0], b[9] = 0x45, 6
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[20+12] = 8 << 4
	for i := range b[52:] {
		b[52+i] = byte(i)
	}
	binary.BigEndian.PutUint16(b[20+16:], seed)
	p.Pull(20)
	p.SetChecksumPartial(16)
	if mss > 0 {
		p.SetGSO(mss, 32)
	}
	p.Push(20)
	return p
}

// checkFinished checks that the TCP checksum of tcpSegment's frame f,
// sent with seed in the field, was finished in software: the sum of the
// segment from its header on, seeded with seed.
func checkFinished(t *testing.T, f []byte, seed uint16) {
	t.Helper()
	field := binary.BigEndian.Uint16(f[34+16:])
	binary.BigEndian.PutUint16(f[34+16:], 0)
	if want := checksum.Checksum(f[34:], uint32(seed)); field != want {
		t.Errorf("checksum %#04x, want it finished in software, %#04x", field, want)
	}
}

// A super-frame leaves behind the header asking for it to be cut:
// NEEDS_CSUM from the TCP header (14+20), the field 16 further, gso_type
// TCPV4, hdr_len the three headers, gso_size the piece. It counts once in
// TxPackets and in TxGSO, and its 44 pieces are what GSONote tells.
func TestTransmitSuperFrame(t *testing.T) {
	d, drv, _, pool := newVnetDev(t, allOffloads)
	p := tcpSegment(pool, 44*1448, 1448, 0x1234)
	if got := p.GSONote(); got != "GSO 44×1448" {
		t.Errorf("GSONote %q, want %q", got, "GSO 44×1448")
	}
	if err := d.Transmit(p, macB, EtherTypeIPv4); err != nil {
		t.Fatal(err)
	}
	w := drv.frames()
	if len(w) != 1 {
		t.Fatalf("%d writes, want 1", len(w))
	}
	h := vnet.Header(w[0][:vnet.HeaderLen])
	got := []int{int(h.Flags()), int(h.GSOType()), h.HdrLen(), h.GSOSize(), h.CsumStart(), h.CsumOffset()}
	want := []int{vnet.FlagNeedsCsum, vnet.GSOTCPv4, 14 + 20 + 32, 1448, 34, 16}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("header [flags type hdr_len gso_size csum_start csum_offset] = %v, want %v", got, want)
		}
	}
	if len(w[0]) != vnet.HeaderLen+14+20+32+44*1448 {
		t.Errorf("wrote %d bytes, want the header and the whole frame", len(w[0]))
	}
	if d.Stats.TxPackets.Load() != 1 || d.Stats.TxGSO.Load() != 1 {
		t.Errorf("TxPackets %d, TxGSO %d: want 1 and 1", d.Stats.TxPackets.Load(), d.Stats.TxGSO.Load())
	}
}

// A device without the driver's offloads finishes a partial checksum in
// software, and refuses a super-frame (ip sends none there: the
// offloads went between TCP's build and the send).
func TestTransmitWithoutOffloads(t *testing.T) {
	d, drv, _, pool := newTestDev(t, Config{MTU: 1500})
	p := tcpSegment(pool, 100, 0, 0x4321)
	if err := d.Transmit(p, macB, EtherTypeIPv4); err != nil {
		t.Fatal(err)
	}
	checkFinished(t, drv.frames()[0], 0x4321)
	p = tcpSegment(pool, 1448*3, 1448, 0)
	if err := d.Transmit(p, macB, EtherTypeIPv4); err == nil {
		t.Error("a super-frame over the MTU went out on a device without TSO")
	}
	if d.Stats.TxDropped.Load() != 1 || len(drv.frames()) != 1 {
		t.Errorf("TxDropped %d, frames written %d: want the super-frame dropped and counted", d.Stats.TxDropped.Load(), len(drv.frames()))
	}
}

// A TCP super-frame read with its header goes up whole: counted in
// RxGRO, its checksum taken as verified, its pieces counted from
// gso_size and TCP's header length. Headers the stack cannot take (UDP
// super-frames, a checksum outside the frame, pieces smaller than
// Linux's smallest MSS) are dropped and counted.
func TestReceiveVnetFrames(t *testing.T) {
	d, drv, demux, _ := newVnetDev(t, allOffloads)
	type seen struct {
		verified bool
		segs     int
	}
	got := make(chan seen, 4)
	demux.Register(EtherTypeIPv4, func(p *Packet) {
		got <- seen{p.ChecksumVerified(), p.GSOSegments()}
		p.Free()
	})
	frame := frameTo(macA, EtherTypeIPv4, string(make([]byte, 20+32+10*1000)))
	frame[14+20+12] = 8 << 4
	hdr := func(flags, typ uint8, start, gsoSize int) []byte {
		h := vnet.Header(make([]byte, vnet.HeaderLen))
		h.Set(flags, typ, uint16(start), 16)
		h.SetGSO(typ, 0, uint16(gsoSize))
		return h
	}
	d.Start()
	drv.rx.Put(append(hdr(vnet.FlagNeedsCsum, vnet.GSOTCPv4, 34, 1000), frame...))
	drv.rx.Put(append(hdr(vnet.FlagNeedsCsum, vnet.GSOUDPL4, 34, 1000), frame...))
	drv.rx.Put(append(hdr(vnet.FlagNeedsCsum, vnet.GSOTCPv4, 34, 1), frame...))
	drv.rx.Put(append(hdr(vnet.FlagNeedsCsum, vnet.GSONone, len(frame), 0), frame...))
	drv.rx.Put(append(hdr(0, vnet.GSONone, 0, 0), frame...))
	if s := <-got; !s.verified || s.segs != 10 {
		t.Errorf("super-frame: verified %v, %d pieces; want true, 10", s.verified, s.segs)
	}
	if s := <-got; s.verified || s.segs != 1 {
		t.Errorf("plain frame: verified %v, %d pieces; want false, 1", s.verified, s.segs)
	}
	d.Close(true)
	if d.Stats.RxGRO.Load() != 1 || d.Stats.RxBadVnet.Load() != 3 {
		t.Errorf("RxGRO %d, RxBadVnet %d: want 1 and 3", d.Stats.RxGRO.Load(), d.Stats.RxBadVnet.Load())
	}
}

// Compact moves a received partial checksum's place with the data.
func TestCompactKeepsOffload(t *testing.T) {
	pool := NewPool()
	p := pool.Get(MaxPacketSize)
	copy(p.Append(100), bytes.Repeat([]byte{7}, 100))
	p.Pull(34)
	p.SetChecksumPartial(16)
	p.off.valid = true
	q := pool.Compact(p)
	if !q.ChecksumVerified() || q.off.csumStart != q.head {
		t.Errorf("after Compact: verified %v, checksum start %d, data at %d: want true and equal", q.ChecksumVerified(), q.off.csumStart, q.head)
	}
	q.Free()
}

// Sending a super-frame through a driver with offloads allocates nothing.
func TestTransmitSuperFrameNoAllocs(t *testing.T) {
	d, drv, _, pool := newVnetDev(t, allOffloads)
	drv.writeErr = errors.New("discard") // the fake's recording would allocate
	if n := testing.AllocsPerRun(100, func() { d.Transmit(tcpSegment(pool, 20*1448, 1448, 1), macB, EtherTypeIPv4) }); n != 0 {
		t.Errorf("Transmit of a super-frame allocates %v times, want 0", n)
	}
}

// With netem on, frames leave plain through it: the device reports no
// transmit offloads, finishes a partial checksum itself, and refuses a
// super-frame built before netem came on (TxErrors).
func TestNetemTurnsOffloadsOff(t *testing.T) {
	d, drv, _, pool := newVnetDev(t, allOffloads)
	d.SetNetem(NewNetem(Faults{}, fakeclock.New(time.Unix(1e9, 0)), drv.WriteFrame))
	if o := d.Offloads(); o.TSO || o.TxChecksum || o.GSOMaxSize != 0 {
		t.Errorf("offloads with netem on: %+v, want no transmit offloads", o)
	}
	if err := d.Transmit(tcpSegment(pool, 100, 0, 0x4321), macB, EtherTypeIPv4); err != nil {
		t.Fatal(err)
	}
	f := drv.frames()
	if len(f) != 1 {
		t.Fatalf("through netem: %d frames, want 1", len(f))
	}
	checkFinished(t, f[0], 0x4321)
	if err := d.Transmit(tcpSegment(pool, 3*1448, 1448, 0), macB, EtherTypeIPv4); !errors.Is(err, errNoGSO) || d.Stats.TxErrors.Load() != 1 {
		t.Errorf("a super-frame with netem on: %v, TxErrors %d; want errNoGSO, 1", err, d.Stats.TxErrors.Load())
	}
	d.SetNetem(nil)
}
