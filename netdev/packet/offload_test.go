//go:build linux

package packet

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/gotapip/gotapip/internal/checksum"
	"github.com/gotapip/gotapip/udp"
)

// Unit tests of finishing partial checksums, over synthetic frames.

var (
	udpSrc = netip.MustParseAddr("10.77.0.2")
	udpDst = netip.MustParseAddr("10.77.0.1")
)

// udpFrames returns an Ethernet + IPv4 + UDP frame carrying payload with
// its checksum complete (udp.Header.Encode), the same frame as the kernel
// hands it over with checksum offload (the field holds the folded sum of
// the pseudo-header, uncomplemented), and where the checksum starts and
// goes (csum_start, csum_offset).
func udpFrames(payload []byte) (complete, partial []byte, start, offset int) {
	ulen := udp.HeaderLen + len(payload)
	f := make([]byte, 14+20+ulen)
	copy(f, []byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00})
	ih := f[14:34]
	ih[0], ih[8], ih[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ih[2:], uint16(20+ulen))
	copy(ih[12:], udpSrc.AsSlice())
	copy(ih[16:], udpDst.AsSlice())
	binary.BigEndian.PutUint16(ih[10:], checksum.Checksum(ih, 0))
	uh := udp.Header(f[34:])
	copy(uh.Payload(), payload)
	uh.Encode(udp.Fields{SrcPort: 4000, DstPort: 9, Src: udpSrc, Dst: udpDst})

	partial = bytes.Clone(f)
	var ph [12]byte
	copy(ph[0:], udpSrc.AsSlice())
	copy(ph[4:], udpDst.AsSlice())
	ph[9] = 17
	binary.BigEndian.PutUint16(ph[10:], uint16(ulen))
	binary.BigEndian.PutUint16(partial[34+6:], ^checksum.Checksum(ph[:], 0))
	return f, partial, 34, 6
}

// Every payload length, odd and even, up to a full 1500-byte datagram:
// the finished frame is the one the stack would have built itself.
func TestCompleteChecksum(t *testing.T) {
	for n := 0; n <= 1472; n++ {
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(n*13 + i*7)
		}
		want, f, start, offset := udpFrames(payload)
		if n == 0 && bytes.Equal(want, f) {
			t.Fatal("the partial frame is already complete: the test shows nothing")
		}
		if !completeChecksum(f, start, offset) {
			t.Fatalf("%d-byte payload: refused", n)
		}
		if !bytes.Equal(f, want) {
			t.Fatalf("%d-byte payload: checksum %#04x, want %#04x", n, binary.BigEndian.Uint16(f[40:]), binary.BigEndian.Uint16(want[40:]))
		}
		if err := udp.Header(f[34:]).Verify(udpSrc, udpDst); err != nil {
			t.Fatalf("%d-byte payload: %v", n, err)
		}
	}
}

// A sum that comes to 0 is stored as 0xffff, as the kernel stores it
// (for UDP 0 would mean "no checksum"). The protocol does not matter: a
// checksum at offset 16 (TCP's place) of an odd-length range starting
// anywhere verifies against the partial sum the field held.
func TestCompleteChecksumZero(t *testing.T) {
	f := []byte{9, 9, 9, 0xff, 0xfe, 0, 0, 0x00, 0x01}
	if !completeChecksum(f, 3, 2) || f[5] != 0xff || f[6] != 0xff {
		t.Errorf("a sum of 0xffff: checksum field % x, want ff ff", f[5:7])
	}
	if checksum.Checksum(f[3:], 0) != 0 {
		t.Error("the finished range does not verify")
	}
	g := make([]byte, 60)
	for i := range g {
		g[i] = byte(i * 5)
	}
	seed := uint32(binary.BigEndian.Uint16(g[37:]))
	if !completeChecksum(g, 21, 16) || checksum.Checksum(g[21:], seed) != 0 {
		t.Error("a checksum at offset 16 does not verify")
	}
}

// A header that puts the checksum field outside the frame, wholly or by
// one byte, or whose start and offset together overflow it, changes
// nothing and is refused.
func TestCompleteChecksumLies(t *testing.T) {
	_, f, _, _ := udpFrames([]byte("odd"))
	orig := bytes.Clone(f)
	for _, tc := range []struct{ start, offset int }{
		{len(f), 0},
		{len(f) - 1, 0}, // the field's second byte past the end
		{34, len(f) - 34 - 1},
		{34, len(f)},
		{65535, 65535},
		{0, 65535},
		{-1, 6},
		{34, -40},
	} {
		if completeChecksum(f, tc.start, tc.offset) || !bytes.Equal(f, orig) {
			t.Errorf("csum_start %d, csum_offset %d in a %d-byte frame: accepted", tc.start, tc.offset, len(f))
		}
	}
	// The last two bytes are a field it may fill.
	if !completeChecksum(f, len(f)-2, 0) {
		t.Errorf("a checksum in the last two bytes refused")
	}
	// Empty and one-byte frames hold no field at all.
	for _, n := range []int{0, 1} {
		if completeChecksum(make([]byte, n), 0, 0) {
			t.Errorf("%d-byte frame: accepted", n)
		}
	}
}

// vnetHdr is a virtio_net_hdr.
func vnetHdr(flags, gsoType uint8, start, offset int) []byte {
	h := make([]byte, vnetHdrLen)
	h[vnetFlags], h[vnetGSOType] = flags, gsoType
	ne.PutUint16(h[vnetCsumStart:], uint16(start))
	ne.PutUint16(h[vnetCsumOffset:], uint16(offset))
	return h
}

// Without NEEDS_CSUM the frame is left alone, whatever the rest of the
// header says.
func TestFinishChecksum(t *testing.T) {
	want, f, start, offset := udpFrames([]byte("finish me"))
	partial := bytes.Clone(f)
	if !finishChecksum(vnetHdr(0, 0, 999, 999), f) || !bytes.Equal(f, partial) {
		t.Error("no NEEDS_CSUM: frame changed or refused")
	}
	if !finishChecksum(vnetHdr(2, 0, 0, 0), f) || !bytes.Equal(f, partial) { // DATA_VALID
		t.Error("DATA_VALID: frame changed or refused")
	}
	if finishChecksum(vnetHdr(vnetFNeedsCsum, 0, start, len(f)), f) || !bytes.Equal(f, partial) {
		t.Error("NEEDS_CSUM beyond the frame: accepted")
	}
	if !finishChecksum(vnetHdr(vnetFNeedsCsum, 0, start, offset), f) || !bytes.Equal(f, want) {
		t.Error("NEEDS_CSUM: checksum not finished")
	}
}
