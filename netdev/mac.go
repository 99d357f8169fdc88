package netdev

import (
	"errors"
	"fmt"
)

// MAC is a 48-bit IEEE 802 hardware address. It is a comparable value, so it
// can key a map and costs no allocation.
type MAC [6]byte

// BroadcastMAC is ff:ff:ff:ff:ff:ff.
var BroadcastMAC = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// IsBroadcast reports whether m is ff:ff:ff:ff:ff:ff.
func (m MAC) IsBroadcast() bool { return m == BroadcastMAC }

// IsMulticast reports whether the group bit (the low bit of the first octet)
// is set; broadcast is a multicast address too.
func (m MAC) IsMulticast() bool { return m[0]&1 == 1 }

// IsZero reports whether m is 00:00:00:00:00:00.
func (m MAC) IsZero() bool { return m == MAC{} }

// String prints m as ip(8) does: lowercase, colon-separated.
func (m MAC) String() string {
	const hexDigits = "0123456789abcdef"
	var b [17]byte
	for i, octet := range m {
		if i > 0 {
			b[i*3-1] = ':'
		}
		b[i*3] = hexDigits[octet>>4]
		b[i*3+1] = hexDigits[octet&0xf]
	}
	return string(b[:])
}

// ErrBadMAC is wrapped by ParseMAC's errors.
var ErrBadMAC = errors.New("bad MAC address")

// ParseMAC parses six hex octets separated by ':' or '-', e.g. 02:00:0a:00:00:01.
func ParseMAC(s string) (MAC, error) {
	var m MAC
	if len(s) != 17 {
		return m, fmt.Errorf("ParseMAC(%q): %w: want 6 octets like 02:00:0a:00:00:01", s, ErrBadMAC)
	}
	for i := range m {
		if i > 0 && s[i*3-1] != ':' && s[i*3-1] != '-' {
			return m, fmt.Errorf("ParseMAC(%q): %w: octets are separated by ':'", s, ErrBadMAC)
		}
		hi, ok1 := fromHex(s[i*3])
		lo, ok2 := fromHex(s[i*3+1])
		if !ok1 || !ok2 {
			return m, fmt.Errorf("ParseMAC(%q): %w: %q is not a hex octet", s, ErrBadMAC, s[i*3:i*3+2])
		}
		m[i] = hi<<4 | lo
	}
	return m, nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
