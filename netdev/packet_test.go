package netdev

import (
	"bytes"
	"testing"
)

func TestPoolGetSizes(t *testing.T) {
	pl := NewPool()
	tests := []struct {
		size    int
		ok      bool
		bufSize int
	}{
		{0, true, smallBufSize},
		{1514, true, smallBufSize},
		{smallBufSize - Headroom, true, smallBufSize},
		{smallBufSize - Headroom + 1, true, largeBufSize},
		{EthernetHeaderLen + EthernetMaxMTU, true, largeBufSize}, // a jumbo frame
		{MaxPacketSize, true, largeBufSize},
		{MaxPacketSize + 1, false, 0},
		{-1, false, 0},
	}
	for _, tt := range tests {
		p := pl.Get(tt.size)
		if (p != nil) != tt.ok {
			t.Errorf("Get(%d) = %v, want ok=%v", tt.size, p, tt.ok)
			continue
		}
		if p == nil {
			continue
		}
		if len(p.buf) != tt.bufSize {
			t.Errorf("Get(%d): buffer of %d bytes, want %d", tt.size, len(p.buf), tt.bufSize)
		}
		if p.Len() != 0 || p.Headroom() != Headroom {
			t.Errorf("Get(%d): Len %d Headroom %d, want 0 and %d", tt.size, p.Len(), p.Headroom(), Headroom)
		}
		if got := p.Append(tt.size); got == nil || len(got) != tt.size {
			t.Errorf("Get(%d).Append(%d) = %d bytes, want %d", tt.size, tt.size, len(got), tt.size)
		}
		p.Free()
	}
	if n := pl.InUse(); n != 0 {
		t.Errorf("InUse() = %d after freeing everything, want 0", n)
	}
}

func TestPoolCounters(t *testing.T) {
	pl := NewPool()
	a, b := pl.Get(10), pl.Get(MaxPacketSize)
	if got := pl.InUse(); got != 2 {
		t.Errorf("InUse() = %d, want 2", got)
	}
	a.Free()
	a.Free() // a second Free must be a no-op, not a double return
	if got := pl.InUse(); got != 1 {
		t.Errorf("InUse() after double Free = %d, want 1", got)
	}
	b.Free()
	if got, want := pl.Allocs.Load(), uint64(2); got != want {
		t.Errorf("Allocs = %d, want %d", got, want)
	}
	if got, want := pl.Frees.Load(), uint64(2); got != want {
		t.Errorf("Frees = %d, want %d", got, want)
	}
}

func TestPacketRecycledIsReset(t *testing.T) {
	pl := NewPool()
	p := pl.Get(100)
	copy(p.Append(40), bytes.Repeat([]byte{1}, 40))
	p.MarkNetwork()
	p.Pull(20)
	p.MarkTransport()
	p.Type = PacketBroadcast
	p.Free()
	for range 10 { // sync.Pool may or may not hand the same one back
		q := pl.Get(100)
		if q.Len() != 0 || q.Headroom() != Headroom || q.Network() != nil || q.Transport() != nil || q.Type != PacketHost || q.Dev != nil {
			t.Fatalf("recycled packet not reset: len %d headroom %d network %v transport %v type %d dev %v",
				q.Len(), q.Headroom(), q.Network(), q.Transport(), q.Type, q.Dev)
		}
		q.Free()
	}
}

func TestPacketPushPullTrimAppend(t *testing.T) {
	pl := NewPool()
	p := pl.Get(64)
	defer p.Free()
	payload := p.Append(8)
	copy(payload, "payload!")
	hdr := p.Push(4)
	copy(hdr, "HDR:")
	if got, want := string(p.Data()), "HDR:payload!"; got != want {
		t.Fatalf("Data() = %q, want %q", got, want)
	}
	if got, want := p.Headroom(), Headroom-4; got != want {
		t.Errorf("Headroom() = %d, want %d", got, want)
	}
	p.MarkNetwork()
	if got := string(p.Pull(4)); got != "HDR:" {
		t.Errorf("Pull(4) = %q, want %q", got, "HDR:")
	}
	p.MarkTransport()
	if got := p.Pull(9); got != nil {
		t.Errorf("Pull beyond the data = %q, want nil", got)
	}
	if got := p.Pull(-1); got != nil {
		t.Errorf("Pull(-1) = %q, want nil", got)
	}
	if got, want := string(p.Network()), "HDR:payload!"; got != want {
		t.Errorf("Network() = %q, want %q", got, want)
	}
	if got, want := string(p.Transport()), "payload!"; got != want {
		t.Errorf("Transport() = %q, want %q", got, want)
	}
	p.Trim(100) // longer: nothing happens
	p.Trim(-1)
	if got := p.Len(); got != 8 {
		t.Errorf("Len() after no-op Trims = %d, want 8", got)
	}
	p.Trim(3)
	if got := string(p.Data()); got != "pay" {
		t.Errorf("Data() after Trim(3) = %q, want %q", got, "pay")
	}
	p.ResetToNetwork()
	if got, want := string(p.Data()), "HDR:pay"; got != want {
		t.Errorf("Data() after ResetToNetwork = %q, want %q", got, want)
	}
	if got := p.Append(-1); got != nil {
		t.Errorf("Append(-1) = %v, want nil", got)
	}
	if got := p.Append(len(p.buf)); got != nil {
		t.Errorf("Append beyond the buffer returned %d bytes, want nil", len(got))
	}
}

func TestPacketPushBeyondHeadroomPanics(t *testing.T) {
	pl := NewPool()
	p := pl.Get(10)
	defer p.Free()
	defer func() {
		if recover() == nil {
			t.Error("Push(Headroom+1) did not panic")
		}
	}()
	p.Push(Headroom + 1)
}

func TestPacketUnmarkedLayers(t *testing.T) {
	pl := NewPool()
	p := pl.Get(10)
	defer p.Free()
	p.Append(10)
	if p.Network() != nil || p.Transport() != nil {
		t.Errorf("Network()/Transport() of a fresh packet = %v/%v, want nil/nil", p.Network(), p.Transport())
	}
	p.ResetToNetwork() // no network header: must not move
	if p.Len() != 10 {
		t.Errorf("ResetToNetwork without a mark changed Len to %d", p.Len())
	}
}

func TestPoolGetFreeNoAllocs(t *testing.T) {
	pl := NewPool()
	pl.Get(1500).Free() // warm
	if n := testing.AllocsPerRun(1000, func() {
		p := pl.Get(1500)
		p.Append(100)
		p.Push(14)
		p.Free()
	}); n != 0 {
		t.Errorf("Get/Append/Push/Free allocates %v times per run, want 0", n)
	}
}

// Compact moves a short packet out of a large buffer, keeping its data and
// header marks; a packet already small, or too big, stays as it is.
func TestPoolCompact(t *testing.T) {
	pl := NewPool()
	big := pl.Get(LoopbackMTU)
	copy(big.Append(28), []byte("0123456789abcdefghijklmnopqr"))
	big.MarkNetwork()
	big.Pull(20)
	big.MarkTransport()
	big.Pull(8)
	if big.Truesize() <= 2048 {
		t.Fatalf("a %d-byte request got a %d-byte buffer", LoopbackMTU, big.Truesize())
	}
	small := pl.Compact(big)
	if small.Truesize() > 2048 || string(small.Data()) != "" || string(small.Network()) != "0123456789abcdefghijklmnopqr" || string(small.Transport()) != "klmnopqr" {
		t.Errorf("compacted: truesize %d, data %q, network %q, transport %q", small.Truesize(), small.Data(), small.Network(), small.Transport())
	}
	if same := pl.Compact(small); same != small {
		t.Errorf("compacting a small packet copied it")
	}
	small.Free()
	if pl.InUse() != 0 {
		t.Errorf("InUse = %d after freeing", pl.InUse())
	}
}
