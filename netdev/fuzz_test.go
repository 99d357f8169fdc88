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
