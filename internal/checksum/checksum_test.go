package checksum

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// naiveChecksum is RFC 1071's reference loop: 16 bits at a time, folding
// the carry after every addition.
func naiveChecksum(data []byte, initial uint32) uint16 {
	s := initial
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	for i := 0; i < len(data); i += 2 {
		w := uint32(data[i]) << 8
		if i+1 < len(data) {
			w |= uint32(data[i+1])
		}
		s += w
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func TestChecksumExamples(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		initial uint32
		want    uint16
	}{
		// RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 is ddf2.
		{name: "RFC 1071 example", data: []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, want: ^uint16(0xddf2)},
		{name: "empty", data: nil, want: 0xffff},
		{name: "one byte is padded on the right", data: []byte{0x01}, want: ^uint16(0x0100)},
		{name: "three bytes", data: []byte{0x00, 0x01, 0xf2}, want: ^uint16(0xf201)},
		{name: "RFC 1071 example, odd", data: []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0x10}, want: ^uint16(0xddf2 + 0x1000)},
		{name: "all ones", data: []byte{0xff, 0xff}, want: 0x0000},
		{name: "end-around carry", data: []byte{0xff, 0xff, 0x00, 0x01}, want: ^uint16(0x0001)},
		{name: "zeros", data: make([]byte, 20), want: 0xffff},
		{name: "initial only", initial: 0x1234, want: ^uint16(0x1234)},
		{name: "initial with carry", data: []byte{0xff, 0xff}, initial: 0x0002_0001, want: ^uint16(0x0003)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Checksum(tt.data, tt.initial); got != tt.want {
				t.Errorf("Checksum = %#04x, want %#04x", got, tt.want)
			}
			if got := naiveChecksum(tt.data, tt.initial); got != tt.want {
				t.Errorf("reference Checksum = %#04x, want %#04x (test table is wrong)", got, tt.want)
			}
		})
	}
}

// TestChecksumMatchesReference is a property test: the 8-byte loop equals
// the 16-bit reference on random data of every length up to 2 KiB, at
// every alignment, from random initial sums.
func TestChecksumMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 2048+8)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	for n := range 2049 {
		for _, off := range []int{0, 1, 3, 7} {
			data := buf[off : off+n]
			initial := rng.Uint32()
			if n%5 == 0 {
				initial = 0
			}
			if got, want := Checksum(data, initial), naiveChecksum(data, initial); got != want {
				t.Fatalf("len %d offset %d initial %#x: Checksum %#04x, reference %#04x", n, off, initial, got, want)
			}
		}
	}
}

// TestChecksumCarryHeavy sums long runs of 0xff, where every addition
// carries, up to the largest IPv4 datagram.
func TestChecksumCarryHeavy(t *testing.T) {
	for _, n := range []int{7, 8, 9, 1500, 65535, 1 << 20} {
		data := bytes.Repeat([]byte{0xff}, n)
		for _, initial := range []uint32{0, 0xffffffff} {
			if got, want := Checksum(data, initial), naiveChecksum(data, initial); got != want {
				t.Errorf("%d bytes of 0xff, initial %#x: Checksum %#04x, reference %#04x", n, initial, got, want)
			}
		}
	}
}

// TestSumPieces checks that summing pieces (pseudo-header, header,
// payload) equals summing the whole, as long as the pieces are even.
func TestSumPieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 999)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	whole := Checksum(data, 0)
	for cut := 0; cut <= len(data); cut += 2 {
		if got := Checksum(data[cut:], Sum(data[:cut], 0)); got != whole {
			t.Fatalf("cut at %d: %#04x, want %#04x", cut, got, whole)
		}
	}
}

// TestUpdateRFC1624 is RFC 1624 section 4's example, where eqn. 2
// gives the wrong 0xffff and eqn. 3 the right 0x0000.
func TestUpdateRFC1624(t *testing.T) {
	const hc, m, m2 = 0xdd2f, 0x5555, 0x3285
	if got := Update(hc, m, m2); got != 0x0000 {
		t.Errorf("Update(%#04x, %#04x, %#04x) = %#04x, want 0x0000", hc, m, m2, got)
	}
	// The same through real data: other words sum to 0xcd7a.
	data := []byte{0xcd, 0x7a, 0x55, 0x55, 0xdd, 0x2f}
	if Checksum(data, 0) != 0 {
		t.Fatal("example data does not verify")
	}
	binary.BigEndian.PutUint16(data[2:], m2)
	binary.BigEndian.PutUint16(data[4:], 0)
	if got := Checksum(data, 0); got != 0x0000 {
		t.Errorf("full recompute = %#04x, want 0x0000", got)
	}
}

// TestUpdateMatchesRecompute is a property test: for random
// headers and random changes of one 16-bit word, the incremental update
// equals a full recompute. A third of the cases are steered so that the
// new checksum is 0x0000 (the data sums to 0xffff), the corner where RFC
// 1141's equation went wrong.
func TestUpdateMatchesRecompute(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const csumOff = 10 // where an IPv4 header keeps its checksum
	h := make([]byte, 20)
	corner := 0
	for i := range 100000 {
		for j := range h {
			h[j] = byte(rng.Uint32())
		}
		if i%1000 == 0 { // sparse headers: mostly zero words
			clear(h)
			h[rng.IntN(20)] = byte(rng.Uint32())
		}
		binary.BigEndian.PutUint16(h[csumOff:], 0)
		binary.BigEndian.PutUint16(h[csumOff:], Checksum(h, 0))
		off := 2 * rng.IntN(10)
		if off == csumOff {
			off = 0
		}
		old := binary.BigEndian.Uint16(h[off:])
		nw := uint16(rng.Uint32())
		if i%3 == 0 {
			// Pick nw so the other words plus nw sum to 0xffff (-0).
			binary.BigEndian.PutUint16(h[off:], 0)
			saved := binary.BigEndian.Uint16(h[csumOff:])
			binary.BigEndian.PutUint16(h[csumOff:], 0)
			rest := ^Checksum(h, 0) // ones' complement sum of the other words
			binary.BigEndian.PutUint16(h[csumOff:], saved)
			binary.BigEndian.PutUint16(h[off:], old)
			nw = 0xffff - rest
			if nw == 0 && rest == 0xffff {
				nw = 0xffff
			}
		}
		incr := Update(binary.BigEndian.Uint16(h[csumOff:]), old, nw)
		binary.BigEndian.PutUint16(h[off:], nw)
		binary.BigEndian.PutUint16(h[csumOff:], 0)
		full := Checksum(h, 0)
		if full == 0 {
			corner++
		}
		if incr != full {
			t.Fatalf("header % x, word %d %#04x -> %#04x: incremental %#04x, full %#04x", h, off, old, nw, incr, full)
		}
	}
	if corner < 1000 {
		t.Errorf("only %d cases hit the 0x0000 corner; the test steers badly", corner)
	}
}

func TestChecksumNoAllocs(t *testing.T) {
	data := make([]byte, 1500)
	var sink uint16
	if n := testing.AllocsPerRun(100, func() { sink += Checksum(data, 0) + Update(1, 2, 3) }); n != 0 {
		t.Errorf("Checksum allocates %v times, want 0", n)
	}
	_ = sink
}

func BenchmarkChecksum1500(b *testing.B) {
	data := make([]byte, 1500)
	for i := range data {
		data[i] = byte(i)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		Checksum(data, 0)
	}
}
