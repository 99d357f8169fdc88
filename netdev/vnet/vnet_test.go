package vnet_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gotapip/gotapip/internal/checksum"
	"github.com/gotapip/gotapip/netdev/vnet"
	"github.com/gotapip/gotapip/netdev/vnet/vnettest"
	"github.com/gotapip/gotapip/udp"
)

// Unit tests of finishing partial checksums, over synthetic frames.

var (
	udpFrames      = vnettest.UDPFrames
	udpSrc, udpDst = vnettest.UDPSrc, vnettest.UDPDst
)

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
		if !vnet.CompleteChecksum(f, start, offset) {
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
	if !vnet.CompleteChecksum(f, 3, 2) || f[5] != 0xff || f[6] != 0xff {
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
	if !vnet.CompleteChecksum(g, 21, 16) || checksum.Checksum(g[21:], seed) != 0 {
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
		if vnet.CompleteChecksum(f, tc.start, tc.offset) || !bytes.Equal(f, orig) {
			t.Errorf("csum_start %d, csum_offset %d in a %d-byte frame: accepted", tc.start, tc.offset, len(f))
		}
	}
	// The last two bytes are a field it may fill.
	if !vnet.CompleteChecksum(f, len(f)-2, 0) {
		t.Errorf("a checksum in the last two bytes refused")
	}
	// Empty and one-byte frames hold no field at all.
	for _, n := range []int{0, 1} {
		if vnet.CompleteChecksum(make([]byte, n), 0, 0) {
			t.Errorf("%d-byte frame: accepted", n)
		}
	}
}

// vnetHdr is a virtio_net_hdr.
func vnetHdr(flags, gsoType uint8, start, offset int) vnet.Header {
	h := make(vnet.Header, vnet.HeaderLen)
	h.Set(flags, gsoType, uint16(start), uint16(offset))
	return h
}

// Without NEEDS_CSUM the frame is left alone, whatever the rest of the
// header says.
func TestFinishChecksum(t *testing.T) {
	want, f, start, offset := udpFrames([]byte("finish me"))
	partial := bytes.Clone(f)
	if !vnet.FinishChecksum(vnetHdr(0, 0, 999, 999), f) || !bytes.Equal(f, partial) {
		t.Error("no NEEDS_CSUM: frame changed or refused")
	}
	if !vnet.FinishChecksum(vnetHdr(2, 0, 0, 0), f) || !bytes.Equal(f, partial) { // DATA_VALID
		t.Error("DATA_VALID: frame changed or refused")
	}
	if vnet.FinishChecksum(vnetHdr(vnet.FlagNeedsCsum, 0, start, len(f)), f) || !bytes.Equal(f, partial) {
		t.Error("NEEDS_CSUM beyond the frame: accepted")
	}
	if !vnet.FinishChecksum(vnetHdr(vnet.FlagNeedsCsum, 0, start, offset), f) || !bytes.Equal(f, want) {
		t.Error("NEEDS_CSUM: checksum not finished")
	}
}

// Receive: a GSO super-frame is refused whatever else the header says,
// before any checksum is touched; a checksum outside the frame is refused;
// otherwise the frame passes, finished.
func TestReceive(t *testing.T) {
	want, partial, start, offset := udpFrames([]byte("through Receive"))
	for _, tc := range []struct {
		name    string
		h       vnet.Header
		verdict vnet.Verdict
		frame   []byte // the frame afterwards
	}{
		{"plain", vnetHdr(0, vnet.GSONone, 0, 0), vnet.OK, partial},
		{"needs-csum", vnetHdr(vnet.FlagNeedsCsum, vnet.GSONone, start, offset), vnet.OK, want},
		{"gso-tcpv4", vnetHdr(vnet.FlagNeedsCsum, 1, start, offset), vnet.GSO, partial},
		{"gso-udp-l4", vnetHdr(0, 5, 0, 0), vnet.GSO, partial},
		{"csum-outside", vnetHdr(vnet.FlagNeedsCsum, vnet.GSONone, start, len(partial)), vnet.BadCsum, partial},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := bytes.Clone(partial)
			if got := vnet.Receive(tc.h, f); got != tc.verdict {
				t.Errorf("verdict %d, want %d", got, tc.verdict)
			}
			if !bytes.Equal(f, tc.frame) {
				t.Errorf("frame afterwards differs from the expected one")
			}
		})
	}
}

// The header's accessors read what Set wrote, in host byte order.
func TestHeaderSet(t *testing.T) {
	h := make(vnet.Header, vnet.HeaderLen)
	for i := range h {
		h[i] = 0xa5 // an unset field shows up
	}
	h.Set(vnet.FlagNeedsCsum, 3, 0x1234, 0x0010)
	if h.Flags() != 1 || h.GSOType() != 3 || h.CsumStart() != 0x1234 || h.CsumOffset() != 0x10 || !h.IsGSO() {
		t.Errorf("header % x reads flags %d gso %d start %#x offset %#x", []byte(h), h.Flags(), h.GSOType(), h.CsumStart(), h.CsumOffset())
	}
	if h[2] != 0 || h[3] != 0 || h[4] != 0 || h[5] != 0 {
		t.Errorf("hdr_len/gso_size not zeroed: % x", []byte(h))
	}
}

// The GSO fields, against golden bytes in host order (little-endian on
// the machines CI runs): a buffer pre-filled with 0xa5 shows any field
// Set and SetGSO leave unset.
func TestSetGSOGolden(t *testing.T) {
	h := vnet.Header(bytes.Repeat([]byte{0xa5}, vnet.HeaderLen))
	h.Set(vnet.FlagNeedsCsum, vnet.GSONone, 34, 16)
	h.SetGSO(vnet.GSOTCPv4|vnet.GSOECN, 66, 1448)
	want := []byte{0x01, 0x81, 66, 0, 0xa8, 0x05, 34, 0, 16, 0}
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 && !bytes.Equal(h, want) {
		t.Errorf("header (-want +got):\n-% x\n+% x", want, []byte(h))
	}
	if !h.IsTCPv4GSO() || h.HdrLen() != 66 || h.GSOSize() != 1448 || h.CsumStart() != 34 || h.CsumOffset() != 16 {
		t.Errorf("read back: tcpv4 %v hdr_len %d gso_size %d csum %d+%d", h.IsTCPv4GSO(), h.HdrLen(), h.GSOSize(), h.CsumStart(), h.CsumOffset())
	}
	h.SetGSO(vnet.GSOUDPL4, 0, 1000)
	if h.IsTCPv4GSO() || !h.IsGSO() {
		t.Error("a UDP_L4 super-frame taken for TCPV4")
	}
	h.SetGSO(vnet.GSOTCPv4, 0, 0)
	if h.IsTCPv4GSO() {
		t.Error("TCPV4 with gso_size 0 taken for a super-frame the stack can count")
	}
}
