package ip

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gotapip/gotapip/netdev"
)

// Test options: NOP, loose source route (0x83, copied), record route (0x07,
// not copied), EOL. A non-first fragment keeps only the LSRR, padded.
var (
	testOptions      = []byte{optNOP, 0x83, 7, 4, 10, 0, 0, 9, 0x07, 7, 4, 0, 0, 0, 0, optEOL}
	testCopiedOpts   = []byte{0x83, 7, 4, 10, 0, 0, 9, optEOL}
	testSrc, testDst = netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.1")
)

// testPayload is a payload whose every byte depends on its position, so a
// misplaced fragment shows up.
func testPayload(n int) []byte { return testPayloadAt(0, n) }

// testPayloadAt is testPayload(off+n)[off:].
func testPayloadAt(off, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		j := off + i
		b[i] = byte(j*7 + j>>8 + 1)
	}
	return b
}

// testDatagram builds a valid IPv4 datagram with the given options (a
// multiple of 4 bytes) and payload length.
func testDatagram(id uint16, opts []byte, payloadLen int) []byte {
	hlen := HeaderLen + len(opts)
	b := make([]byte, hlen+payloadLen)
	h := Header(b[:HeaderLen])
	h.Encode(Fields{TotalLen: len(b), ID: id, TTL: 64, Protocol: ProtoICMP, Src: testSrc, Dst: testDst})
	b[offVersionIHL] = Version<<4 | byte(hlen/4)
	copy(b[HeaderLen:], opts)
	copy(b[hlen:], testPayload(payloadLen))
	Header(b[:hlen]).UpdateChecksum()
	return b
}

// packetOf copies b into a packet from pool, as a driver would.
func packetOf(t testing.TB, pool *netdev.Pool, b []byte) *netdev.Packet {
	t.Helper()
	p := pool.Get(len(b))
	if p == nil {
		t.Fatalf("pool.Get(%d) = nil", len(b))
	}
	copy(p.Append(len(b)), b)
	p.MarkNetwork()
	return p
}

// fragmentBytes fragments b at mtu and returns the fragments' bytes.
func fragmentBytes(t testing.TB, pool *netdev.Pool, b []byte, mtu int) [][]byte {
	t.Helper()
	var frags [][]byte
	err := Fragment(pool, packetOf(t, pool, b), mtu, nil, func(f *netdev.Packet) error {
		frags = append(frags, bytes.Clone(f.Data()))
		f.Free()
		return nil
	})
	if err != nil {
		t.Fatalf("Fragment(%d bytes, mtu %d): %v", len(b), mtu, err)
	}
	return frags
}

func checkNoLeak(t testing.TB, pool *netdev.Pool) {
	t.Helper()
	if n := pool.InUse(); n != 0 {
		t.Errorf("pool.InUse() = %d after everything was freed, want 0", n)
	}
}

func TestFragmentSplits(t *testing.T) {
	for _, tc := range []struct {
		payload, mtu int
		opts         []byte
	}{
		{6000, 1500, nil}, {6000, 576, nil}, {6000, 1500, testOptions}, {6000, 576, testOptions},
		{60000, 1500, nil}, {60000, 576, nil}, {60000, 1500, testOptions}, {60000, 576, testOptions},
		{1481, 1500, nil}, {1481, 1500, testOptions}, {100, MinMTU, nil}, {100, MinMTU, testOptions},
		{65535 - 32, 9000, []byte{0x82, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, optEOL}}, {3001, 1006, nil},
	} {
		t.Run(fmt.Sprintf("%d/mtu%d/opts%d", tc.payload, tc.mtu, len(tc.opts)), func(t *testing.T) {
			pool := netdev.NewPool()
			orig := testDatagram(77, tc.opts, tc.payload)
			var stats FragStats
			var frags [][]byte
			err := Fragment(pool, packetOf(t, pool, orig), tc.mtu, &stats, func(f *netdev.Packet) error {
				if f.Headroom() < netdev.Headroom || !bytes.Equal(f.Network(), f.Data()) {
					t.Errorf("fragment %d: headroom %d, network header not marked", len(frags), f.Headroom())
				}
				frags = append(frags, bytes.Clone(f.Data()))
				f.Free()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			checkFragments(t, orig, frags, tc.mtu, 0, false)
			if got := stats.FragCreates.Load(); got != uint64(len(frags)) || stats.FragOKs.Load() != 1 || stats.FragFails.Load() != 0 {
				t.Errorf("stats OKs %d Fails %d Creates %d, want 1 0 %d", stats.FragOKs.Load(), stats.FragFails.Load(), got, len(frags))
			}
			checkNoLeak(t, pool)
		})
	}
}

// checkFragments checks frags against RFC 791 and against gopacket's
// decoding, and that their payloads put together are orig's. base and mf
// are orig's own fragment offset and MF.
func checkFragments(t *testing.T, orig []byte, frags [][]byte, mtu, base int, mf bool) {
	t.Helper()
	oh := Header(orig[:Header(orig).IHL()])
	var payload []byte
	for i, f := range frags {
		h, err := Parse(f)
		if err != nil {
			t.Fatalf("fragment %d: %v", i, err)
		}
		last := i == len(frags)-1
		n := h.TotalLen() - h.IHL()
		switch {
		case len(f) > mtu:
			t.Errorf("fragment %d: %d bytes > MTU %d", i, len(f), mtu)
		case !last && n%8 != 0:
			t.Errorf("fragment %d: payload %d not a multiple of 8", i, n)
		case h.FragOffset() != base+len(payload):
			t.Errorf("fragment %d: offset %d, want %d", i, h.FragOffset(), base+len(payload))
		case h.MF() != (!last || mf):
			t.Errorf("fragment %d: MF %v, want %v", i, h.MF(), !last || mf)
		case h.ID() != oh.ID() || h.Protocol() != oh.Protocol() || h.TTL() != oh.TTL() || h.Src() != oh.Src():
			t.Errorf("fragment %d: header %v does not match %v", i, h, oh)
		}
		wantOpts := oh.Options()
		if i > 0 {
			var buf [MaxHeaderLen]byte
			wantOpts = Header(buf[:copyFragmentHeader(buf[:], oh)]).Options()
		}
		if !bytes.Equal(h.Options(), wantOpts) {
			t.Errorf("fragment %d: options % x, want % x", i, h.Options(), wantOpts)
		}
		crossCheckGopacket(t, i, f, h)
		payload = append(payload, f[h.IHL():]...)
	}
	if !bytes.Equal(payload, orig[oh.IHL():]) {
		t.Errorf("fragments' payloads (%d bytes) differ from the original's (%d)", len(payload), len(orig)-oh.IHL())
	}
}

// crossCheckGopacket decodes fragment f with gopacket and compares the
// fields with our reading.
func crossCheckGopacket(t *testing.T, i int, f []byte, h Header) {
	t.Helper()
	var g layers.IPv4
	if err := g.DecodeFromBytes(f, gopacket.NilDecodeFeedback); err != nil {
		t.Fatalf("fragment %d: gopacket: %v", i, err)
	}
	got := fmt.Sprintf("len %d ihl %d id %d off %d mf %v df %v src %v", g.Length, int(g.IHL)*4, g.Id,
		int(g.FragOffset)*8, g.Flags&layers.IPv4MoreFragments != 0, g.Flags&layers.IPv4DontFragment != 0, g.SrcIP)
	want := fmt.Sprintf("len %d ihl %d id %d off %d mf %v df %v src %v", h.TotalLen(), h.IHL(), h.ID(),
		h.FragOffset(), h.MF(), h.DF(), h.Src())
	if got != want {
		t.Errorf("fragment %d: gopacket reads %q, we read %q", i, got, want)
	}
}

func TestFragmentFitsIsUntouched(t *testing.T) {
	pool := netdev.NewPool()
	p := packetOf(t, pool, testDatagram(1, nil, 1480))
	var stats FragStats
	var got *netdev.Packet
	if err := Fragment(pool, p, 1500, &stats, func(f *netdev.Packet) error { got = f; return nil }); err != nil {
		t.Fatal(err)
	}
	if got != p {
		t.Errorf("a datagram that fits was not handed on as is")
	}
	if stats.FragOKs.Load()+stats.FragFails.Load()+stats.FragCreates.Load() != 0 {
		t.Errorf("a datagram that fits was counted as fragmented")
	}
	got.Free()
	checkNoLeak(t, pool)
}

func TestFragmentRefuses(t *testing.T) {
	df := testDatagram(1, nil, 3000)
	Header(df).SetFragment(0, false)
	df[offFlagsFrag] |= FlagDF >> 8
	Header(df[:HeaderLen]).UpdateChecksum()
	bad := testDatagram(1, nil, 3000)
	bad[offChecksum] ^= 0xff
	for _, tc := range []struct {
		name    string
		b       []byte
		mtu     int
		wantErr error
	}{
		{"DF set", df, 1500, ErrFragNeeded},
		{"MTU below 28", testDatagram(1, nil, 3000), 27, ErrMTUTooSmall},
		{"MTU too small for the options", testDatagram(1, testOptions, 3000), 43, ErrMTUTooSmall},
		{"bad header checksum", bad, 1500, ErrBadChecksum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := netdev.NewPool()
			var stats FragStats
			err := Fragment(pool, packetOf(t, pool, tc.b), tc.mtu, &stats, func(f *netdev.Packet) error {
				f.Free()
				t.Error("emit called")
				return nil
			})
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if stats.FragFails.Load() != 1 {
				t.Errorf("FragFails = %d, want 1", stats.FragFails.Load())
			}
			checkNoLeak(t, pool)
		})
	}
}

func TestFragNeededErrorCarriesMTU(t *testing.T) {
	pool := netdev.NewPool()
	b := testDatagram(1, nil, 3000)
	b[offFlagsFrag] |= FlagDF >> 8
	Header(b[:HeaderLen]).UpdateChecksum()
	err := Fragment(pool, packetOf(t, pool, b), 1400, nil, nil)
	var fe *FragNeededError
	if !errors.As(err, &fe) || fe.MTU != 1400 || fe.Len != 3020 {
		t.Fatalf("err = %#v, want *FragNeededError{Len: 3020, MTU: 1400}", err)
	}
	if want := "ip: 3020-byte datagram with DF set: fragmentation needed and DF set (MTU 1400)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestFragmentAFragment(t *testing.T) {
	for _, mf := range []bool{false, true} {
		t.Run(fmt.Sprintf("MF=%v", mf), func(t *testing.T) {
			pool := netdev.NewPool()
			orig := testDatagram(9, testOptions, 4000)
			Header(orig).SetFragment(1480, mf)
			Header(orig[:HeaderLen+len(testOptions)]).UpdateChecksum()
			checkFragments(t, orig, fragmentBytes(t, pool, orig, 1006), 1006, 1480, mf)
			checkNoLeak(t, pool)
		})
	}
}

// An emit error stops the fragmenting. Every piece handed to emit counts
// as created; the datagram fails unless the error came on its last piece.
func TestFragmentStopsAtEmitError(t *testing.T) {
	errDown := errors.New("link down")
	for _, tt := range []struct {
		failAt                          int // the emit that fails; 6000 bytes at MTU 1500 make 5 pieces
		wantOKs, wantFails, wantCreates uint64
	}{
		{failAt: 2, wantOKs: 0, wantFails: 1, wantCreates: 2},
		{failAt: 5, wantOKs: 1, wantFails: 0, wantCreates: 5},
	} {
		pool := netdev.NewPool()
		var stats FragStats
		calls := 0
		err := Fragment(pool, packetOf(t, pool, testDatagram(1, nil, 6000)), 1500, &stats, func(f *netdev.Packet) error {
			f.Free()
			if calls++; calls == tt.failAt {
				return errDown
			}
			return nil
		})
		if !errors.Is(err, errDown) || calls != tt.failAt {
			t.Errorf("err = %v after %d emits, want %v after %d", err, calls, errDown, tt.failAt)
		}
		if stats.FragOKs.Load() != tt.wantOKs || stats.FragFails.Load() != tt.wantFails || stats.FragCreates.Load() != tt.wantCreates {
			t.Errorf("emit %d fails: stats OKs %d Fails %d Creates %d, want %d %d %d", tt.failAt,
				stats.FragOKs.Load(), stats.FragFails.Load(), stats.FragCreates.Load(), tt.wantOKs, tt.wantFails, tt.wantCreates)
		}
		checkNoLeak(t, pool)
	}
}

// The counters move before each fragment is handed on: whoever receives
// a fragment sees it counted, and the last one sees the datagram counted.
func TestFragmentCountsBeforeEmit(t *testing.T) {
	pool := netdev.NewPool()
	var stats FragStats
	calls := uint64(0)
	err := Fragment(pool, packetOf(t, pool, testDatagram(1, nil, 6000)), 1500, &stats, func(f *netdev.Packet) error {
		last := !Header(f.Data()).MF()
		f.Free()
		calls++
		if got := stats.FragCreates.Load(); got != calls {
			t.Errorf("fragment %d handed on with FragCreates %d", calls, got)
		}
		if last && stats.FragOKs.Load() != 1 {
			t.Errorf("last fragment handed on with FragOKs %d, want 1", stats.FragOKs.Load())
		}
		return nil
	})
	if err != nil || calls != 5 {
		t.Errorf("err %v after %d fragments, want nil after 5", err, calls)
	}
	checkNoLeak(t, pool)
}

func TestCopyFragmentHeader(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts, want []byte
	}{
		{"none", nil, nil},
		{"copied and not", testOptions, testCopiedOpts},
		{"only NOPs", []byte{1, 1, 1, 1}, nil},
		{"stops at EOL", []byte{0, 0x83, 3, 4}, nil},
		{"security kept", []byte{0x82, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0}, []byte{0x82, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0}},
		{"timestamp dropped", []byte{0x44, 8, 5, 0, 1, 2, 3, 4}, nil},
		{"length 0 stops", []byte{0x83, 3, 4, 0x83, 0, 0, 0, 0}, []byte{0x83, 3, 4, 0}},
		{"length past end stops", []byte{0x83, 3, 4, 0x83, 9, 0, 0, 0}, []byte{0x83, 3, 4, 0}},
		{"full 40 bytes", bytes.Repeat([]byte{0x83, 4, 4, 1}, 10), bytes.Repeat([]byte{0x83, 4, 4, 1}, 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := testDatagram(1, tc.opts, 8)
			h := Header(orig[:HeaderLen+len(tc.opts)])
			var buf [MaxHeaderLen]byte
			n := copyFragmentHeader(buf[:], h)
			got := Header(buf[:n])
			if !bytes.Equal(got.Options(), tc.want) || got.IHL() != n || !bytes.Equal(buf[:HeaderLen], append([]byte{Version<<4 | byte(n/4)}, orig[1:HeaderLen]...)) {
				t.Errorf("header % x, options % x, want options % x", buf[:HeaderLen], got.Options(), tc.want)
			}
		})
	}
}

// FuzzFragment splits arbitrary bytes at an arbitrary MTU: never a panic or
// a leaked packet, every fragment valid and within the MTU, and a datagram
// that was not itself a fragment reassembles to exactly what it was.
func FuzzFragment(f *testing.F) {
	f.Add(testDatagram(1, testOptions, 3000), uint16(576))
	f.Add(testDatagram(2, nil, 100), uint16(MinMTU))
	f.Add(testFrag(3, testCopiedOpts, 1480, 1000, true), uint16(300))
	f.Fuzz(func(t *testing.T, data []byte, mtu uint16) {
		if len(data) > netdev.MaxPacketSize {
			return
		}
		pool := netdev.NewPool()
		var frags []*netdev.Packet
		err := Fragment(pool, packetOf(t, pool, data), int(mtu), nil, func(p *netdev.Packet) error {
			frags = append(frags, p)
			return nil
		})
		if err != nil || len(data) <= int(mtu) {
			for _, p := range frags {
				p.Free()
			}
			checkNoLeak(t, pool)
			return
		}
		r := NewReassembler(ReasmConfig{}, pool)
		var out *netdev.Packet
		for _, p := range frags {
			h, err := Parse(p.Data())
			if err != nil || p.Len() > int(mtu) {
				t.Fatalf("fragment of %d bytes (MTU %d): %v", p.Len(), mtu, err)
			}
			if o := r.Add(p, h, fakeNow); o != nil {
				out = o
			}
		}
		orig := Header(data)
		whole := !orig.IsFragment() && data[offFlagsFrag]&0x80 == 0 // the reserved bit is not carried
		if whole && (out == nil || !bytes.Equal(out.Data(), data[:orig.TotalLen()])) {
			t.Errorf("%d fragments did not reassemble to the original", len(frags))
		}
		if out != nil {
			out.Free()
		}
		r.Flush()
		checkNoLeak(t, pool)
	})
}
