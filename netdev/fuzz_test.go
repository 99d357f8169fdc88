package netdev

import (
	"bytes"
	"testing"
)

// FuzzEthernetParse checks that ParseEthernet never panics, accepts exactly
// the frames that hold a header, and that a parsed header re-encodes to the
// same bytes through the setters.
func FuzzEthernetParse(f *testing.F) {
	// A broadcast ARP request header, padded to the minimum frame.
	f.Add(append(append([]byte(nil), goldenEthernet...), make([]byte, 46)...))
	// A bare header and nothing else.
	f.Add(append([]byte(nil), goldenEthernet...))
	// One byte short of a header.
	f.Add(append([]byte(nil), goldenEthernet[:13]...))
	// An IPv6 multicast frame (unknown EtherType).
	f.Add([]byte{0x33, 0x33, 0, 0, 0, 1, 2, 0, 0x0a, 0, 0, 1, 0x86, 0xdd, 0x60})
	// Empty input.
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		e, err := ParseEthernet(frame)
		if (err == nil) != (len(frame) >= EthernetHeaderLen) {
			t.Fatalf("ParseEthernet(%d bytes) error = %v", len(frame), err)
		}
		if err != nil {
			return
		}
		if len(e) != EthernetHeaderLen {
			t.Fatalf("view is %d bytes, want %d", len(e), EthernetHeaderLen)
		}
		_ = e.String()
		out := Ethernet(bytes.Repeat([]byte{0xa5}, EthernetHeaderLen))
		out.SetDst(e.Dst())
		out.SetSrc(e.Src())
		out.SetEtherType(e.EtherType())
		if !bytes.Equal(out, frame[:EthernetHeaderLen]) {
			t.Fatalf("re-encoded header (-want +got):\n-% x\n+% x", frame[:EthernetHeaderLen], []byte(out))
		}
	})
}

// FuzzParseMAC checks ParseMAC never panics and that what it accepts prints
// back in canonical form and parses again to the same value.
func FuzzParseMAC(f *testing.F) {
	f.Add("02:00:0a:00:00:01") // canonical
	f.Add("02-00-0A-BC-DE-F1") // dashes, upper case
	f.Add("02:00:0a:00:00")    // short
	f.Add("zz:zz:zz:zz:zz:zz") // not hex
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMAC(s)
		if err != nil {
			return
		}
		m2, err := ParseMAC(m.String())
		if err != nil || m2 != m {
			t.Fatalf("ParseMAC(%q) = %v; its String %q parses to %v, %v", s, m, m.String(), m2, err)
		}
	})
}

// FuzzVnetHeader checks the virtio_net_hdr of a received frame (a TAP
// with offloads): whatever header and frame the kernel could hand over,
// taking it never panics, a header accepted leaves a checksum place
// inside the frame, super-frame pieces no smaller than minGSOSize, and a
// piece count of at least one.
func FuzzVnetHeader(f *testing.F) {
	tcp := make([]byte, 14+20+32+3000)
	tcp[14+20+12] = 8 << 4
	f.Add([]byte{1, 1, 66, 0, 0xe8, 3, 34, 0, 16, 0}, tcp)     // TCPV4, gso_size 1000, csum at 34+16
	f.Add([]byte{1, 0, 0, 0, 0, 0, 34, 0, 16, 0}, tcp[:80])    // a partial checksum alone
	f.Add([]byte{1, 5, 0, 0, 0xe8, 3, 34, 0, 6, 0}, tcp)       // UDP_L4
	f.Add([]byte{1, 1, 0, 0, 1, 0, 34, 0, 16, 0}, tcp)         // gso_size 1
	f.Add([]byte{1, 1, 0, 0, 0xe8, 3, 0xff, 0xff, 16, 0}, tcp) // csum_start past the end
	f.Add(make([]byte, 10), []byte{})
	pool := NewPool()
	f.Fuzz(func(t *testing.T, hdr, frame []byte) {
		if len(hdr) < 10 || len(frame) > MaxPacketSize-128 {
			return
		}
		p := pool.Get(len(frame))
		defer p.Free()
		copy(p.Append(len(frame)), frame)
		if !p.takeVnetHeader(hdr[:10]) {
			return
		}
		if p.off.partial && int(p.off.csumStart)-p.head+int(p.off.csumOffset)+2 > p.Len() {
			t.Fatalf("checksum at %d+%d outside a %d-byte frame", int(p.off.csumStart)-p.head, p.off.csumOffset, p.Len())
		}
		if p.off.gsoSize != 0 && p.off.gsoSize < minGSOSize {
			t.Fatalf("pieces of %d bytes accepted, want at least %d", p.off.gsoSize, minGSOSize)
		}
		if n := p.GSOSegments(); n < 1 {
			t.Fatalf("%d pieces", n)
		}
		_ = p.GSONote()
	})
}
