package ip

import (
	"testing"

	"github.com/gotapip/gotapip/netdev"
)

// BenchmarkReassemble64K reassembles a 65000-byte datagram from its 44
// fragments at MTU 1500, in order, each copied into a pool packet as a
// driver would: the cost per datagram of the receive side of a big ping.
func BenchmarkReassemble64K(b *testing.B) {
	pool := netdev.NewPool()
	frags := fragmentBytes(b, pool, testDatagram(1, nil, 65000), 1500)
	r := NewReassembler(ReasmConfig{}, pool)
	b.SetBytes(65000)
	b.ReportAllocs()
	for b.Loop() {
		var out *netdev.Packet
		for _, f := range frags {
			p := pool.Get(len(f))
			copy(p.Append(len(f)), f)
			out = r.Add(p, Header(p.Data()[:HeaderLen]), fakeNow)
		}
		if out == nil {
			b.Fatal("not reassembled")
		}
		out.Free()
	}
}

// BenchmarkFragment64K splits a 65000-byte datagram for MTU 1500.
func BenchmarkFragment64K(b *testing.B) {
	pool := netdev.NewPool()
	orig := testDatagram(1, nil, 65000)
	emit := func(f *netdev.Packet) error { f.Free(); return nil }
	b.SetBytes(65000)
	b.ReportAllocs()
	for b.Loop() {
		p := pool.Get(len(orig))
		copy(p.Append(len(orig)), orig)
		if err := Fragment(pool, p, 1500, nil, emit); err != nil {
			b.Fatal(err)
		}
	}
}

// Reassembling in the steady state takes its pages, datagram and buffers
// from pools: no allocation per datagram.
func TestReassembleAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	pool := netdev.NewPool()
	frags := fragmentBytes(t, pool, testDatagram(1, nil, 6000), 1500)
	r := NewReassembler(ReasmConfig{}, pool)
	allocs := testing.AllocsPerRun(100, func() {
		var out *netdev.Packet
		for _, f := range frags {
			p := pool.Get(len(f))
			copy(p.Append(len(f)), f)
			out = r.Add(p, Header(p.Data()[:HeaderLen]), fakeNow)
		}
		out.Free()
	})
	if allocs > 0 {
		t.Errorf("reassembling a datagram allocates %.1f times, want 0", allocs)
	}
}
