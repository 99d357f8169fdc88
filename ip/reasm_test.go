package ip

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/gotapip/gotapip/netdev"
)

var fakeNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// testFrag builds one fragment of datagram id: n payload bytes at offset
// off taken from testPayload (so fragments of one datagram agree), with
// the given options.
func testFrag(id uint16, opts []byte, off, n int, mf bool) []byte {
	b := testDatagram(id, opts, n)
	hlen := HeaderLen + len(opts)
	copy(b[hlen:], testPayloadAt(off, n))
	h := Header(b[:hlen])
	h.SetFragment(off, mf)
	h.UpdateChecksum()
	return b
}

// addFragment hands fragment b to r as the IP input path would.
func addFragment(t testing.TB, r *Reassembler, pool *netdev.Pool, b []byte, now time.Time) *netdev.Packet {
	t.Helper()
	p := packetOf(t, pool, b)
	h, err := Parse(p.Data())
	if err != nil {
		t.Fatalf("test fragment: %v", err)
	}
	return r.Add(p, h, now)
}

// reassembleAll adds every fragment and returns the datagrams completed, as
// bytes, and the index of the fragment that completed each.
func reassembleAll(t testing.TB, r *Reassembler, pool *netdev.Pool, frags [][]byte) (got [][]byte, at []int) {
	t.Helper()
	for i, f := range frags {
		if p := addFragment(t, r, pool, f, fakeNow); p != nil {
			if !bytes.Equal(p.Network(), p.Data()) {
				t.Errorf("reassembled datagram: network header not marked")
			}
			got = append(got, bytes.Clone(p.Data()))
			at = append(at, i)
			p.Free()
		}
	}
	return got, at
}

func checkEmpty(t testing.TB, r *Reassembler, pool *netdev.Pool) {
	t.Helper()
	if n, held := r.Datagrams(), r.BytesHeld(); n != 0 || held != 0 {
		t.Errorf("%d datagrams, %d bytes still held, want none", n, held)
	}
	checkNoLeak(t, pool)
}

func TestReassembleOrders(t *testing.T) {
	pool := netdev.NewPool()
	orig := testDatagram(42, testOptions, 6000)
	frags := fragmentBytes(t, pool, orig, 576)
	rng := rand.New(rand.NewPCG(1, 2))
	orders := map[string]func([][]byte) [][]byte{
		"in order": func(f [][]byte) [][]byte { return f },
		"reverse": func(f [][]byte) [][]byte {
			r := append([][]byte(nil), f...)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return r
		},
		"last first": func(f [][]byte) [][]byte { return append([][]byte{f[len(f)-1]}, f[:len(f)-1]...) },
		"every one twice": func(f [][]byte) [][]byte {
			var r [][]byte
			for _, x := range f {
				r = append(r, x, x)
			}
			return r
		},
	}
	for i := range 20 {
		orders[fmt.Sprintf("shuffle %d with duplicates", i)] = func(f [][]byte) [][]byte {
			r := append([][]byte(nil), f...)
			for range rng.IntN(5) {
				r = append(r, f[rng.IntN(len(f))])
			}
			rng.Shuffle(len(r), func(i, j int) { r[i], r[j] = r[j], r[i] })
			return r
		}
	}
	for name, order := range orders {
		t.Run(name, func(t *testing.T) {
			r := NewReassembler(ReasmConfig{}, pool)
			in := order(frags)
			got, _ := reassembleAll(t, r, pool, in)
			if len(got) != 1 || !bytes.Equal(got[0], orig) {
				t.Fatalf("got %d datagrams, want exactly the original", len(got))
			}
			if r.Stats.ReasmReqds.Load() != uint64(len(in)) || r.Stats.ReasmOKs.Load() != 1 || r.Stats.ReasmFails.Load() != 0 {
				t.Errorf("stats Reqds %d OKs %d Fails %d, want %d 1 0", r.Stats.ReasmReqds.Load(),
					r.Stats.ReasmOKs.Load(), r.Stats.ReasmFails.Load(), len(in))
			}
			// A duplicate arriving after completion starts a new datagram
			// that can only time out.
			r.Expire(fakeNow.Add(r.Config().Timeout), nil)
			checkEmpty(t, r, pool)
		})
	}
}

func TestReassembleRefuses(t *testing.T) {
	var bigOpts = bytes.Repeat([]byte{optNOP}, 40)
	for _, tc := range []struct {
		name      string
		frags     [][]byte
		wantFails uint64
		wantLeft  int // datagrams still under reassembly
	}{
		{"partial overlap (teardrop)", [][]byte{testFrag(1, nil, 0, 24, true), testFrag(1, nil, 16, 24, false)}, 1, 0},
		{"overlap inside", [][]byte{testFrag(1, nil, 0, 48, true), testFrag(1, nil, 8, 8, true)}, 1, 0},
		{"overlap of the last", [][]byte{testFrag(1, nil, 0, 32, true), testFrag(1, nil, 24, 4, false)}, 1, 0},
		{"same start, longer", [][]byte{testFrag(1, nil, 8, 8, true), testFrag(1, nil, 8, 16, true)}, 1, 0},
		{"two different ends", [][]byte{testFrag(1, nil, 8, 8, false), testFrag(1, nil, 16, 8, false)}, 1, 0},
		{"data beyond the end", [][]byte{testFrag(1, nil, 8, 8, false), testFrag(1, nil, 16, 8, true)}, 1, 0},
		{"end before data", [][]byte{testFrag(1, nil, 32, 8, true), testFrag(1, nil, 8, 8, false)}, 1, 0},
		{"MF on a copy of the last", [][]byte{testFrag(1, nil, 8, 8, false), testFrag(1, nil, 8, 8, true)}, 1, 0},
		{"non-last not a multiple of 8", [][]byte{testFrag(1, nil, 0, 12, true)}, 1, 0},
		{"bad length kept the datagram", [][]byte{testFrag(1, nil, 0, 8, true), testFrag(1, nil, 8, 12, true)}, 1, 1},
		{"ping of death alone", [][]byte{testFrag(1, nil, 65528, 8, false)}, 1, 0},
		{"ping of death discards", [][]byte{testFrag(1, nil, 0, 8, true), testFrag(1, nil, 65512, 24, false)}, 1, 0},
		{"first header makes it too long", [][]byte{testFrag(1, nil, 65480, 32, false), testFrag(1, bigOpts, 0, 8, true)}, 1, 0},
		{"exact duplicate is fine", [][]byte{testFrag(1, nil, 0, 8, true), testFrag(1, nil, 0, 8, true)}, 0, 1},
		{"other ids do not conflict", [][]byte{testFrag(1, nil, 0, 16, true), testFrag(2, nil, 8, 16, true)}, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := netdev.NewPool()
			r := NewReassembler(ReasmConfig{}, pool)
			if got, _ := reassembleAll(t, r, pool, tc.frags); len(got) != 0 {
				t.Errorf("reassembled %d datagrams, want none", len(got))
			}
			if fails := r.Stats.ReasmFails.Load(); fails != tc.wantFails || r.Datagrams() != tc.wantLeft {
				t.Errorf("ReasmFails %d, %d datagrams left; want %d, %d", fails, r.Datagrams(), tc.wantFails, tc.wantLeft)
			}
			r.Flush()
			checkEmpty(t, r, pool)
		})
	}
}

func TestReassembleRefusesBadHeaderView(t *testing.T) {
	pool := netdev.NewPool()
	r := NewReassembler(ReasmConfig{}, pool)
	b := testFrag(1, nil, 0, 16, true)
	for name, h := range map[string]Header{
		"short view":          Header(b[:10]),
		"total past the data": Header(append(append([]byte(nil), b[:2]...), append([]byte{0xff, 0xff}, b[4:HeaderLen]...)...)),
		"IHL past the view":   Header(append([]byte{0x46}, b[1:HeaderLen]...)),
	} {
		if r.Add(packetOf(t, pool, b), h, fakeNow) != nil {
			t.Errorf("%s: reassembled", name)
		}
	}
	if r.Stats.ReasmFails.Load() != 3 {
		t.Errorf("ReasmFails = %d, want 3", r.Stats.ReasmFails.Load())
	}
	checkEmpty(t, r, pool)
}

func TestReassembleRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{9, 1481, 6000, 20000, 60000, 65535 - 20 - 16} {
		for _, mtu := range []int{MinMTU, 576, 1500, 9000} {
			for _, opts := range [][]byte{nil, testOptions} {
				t.Run(fmt.Sprintf("%d/mtu%d/opts%d", size, mtu, len(opts)), func(t *testing.T) {
					pool := netdev.NewPool()
					r := NewReassembler(ReasmConfig{}, pool)
					orig := testDatagram(uint16(size), opts, size)
					frags := fragmentBytes(t, pool, orig, mtu)
					rng.Shuffle(len(frags), func(i, j int) { frags[i], frags[j] = frags[j], frags[i] })
					got, _ := reassembleAll(t, r, pool, frags)
					if len(frags) > 1 && (len(got) != 1 || !bytes.Equal(got[0], orig)) {
						t.Errorf("%d fragments gave %d datagrams, want the original", len(frags), len(got))
					}
					checkEmpty(t, r, pool)
				})
			}
		}
	}
}

func TestReassembledPacketKeepsDevice(t *testing.T) {
	pool := netdev.NewPool()
	r := NewReassembler(ReasmConfig{}, pool)
	dev := &netdev.NetDev{}
	var out *netdev.Packet
	for _, f := range fragmentBytes(t, pool, testDatagram(5, nil, 3000), 1500) {
		p := packetOf(t, pool, f)
		p.Dev, p.Type = dev, netdev.PacketBroadcast
		out = r.Add(p, Header(p.Data()), fakeNow)
	}
	if out == nil || out.Dev != dev || out.Type != netdev.PacketBroadcast {
		t.Fatalf("reassembled packet %+v, want Dev and Type of the fragments", out)
	}
	out.Free()
	checkEmpty(t, r, pool)
}

func TestReassembleConcurrent(t *testing.T) {
	pool := netdev.NewPool()
	r := NewReassembler(ReasmConfig{}, pool)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				orig := testDatagram(uint16(g*1000+i), nil, 3000+i)
				got, _ := reassembleAll(t, r, pool, fragmentBytes(t, pool, orig, 576))
				if len(got) != 1 || !bytes.Equal(got[0], orig) {
					t.Errorf("goroutine %d datagram %d: not reassembled", g, i)
				}
			}
		})
	}
	wg.Wait()
	checkEmpty(t, r, pool)
}

func TestDatagramCostCoversStruct(t *testing.T) {
	const mapSlot = 64 // key, pointer and the map's control bytes, generously
	if size := int(unsafe.Sizeof(datagram{})) + mapSlot; size > reasmDatagramCost {
		t.Errorf("a datagram takes %d bytes, but reasmDatagramCost accounts %d", size, reasmDatagramCost)
	}
}
