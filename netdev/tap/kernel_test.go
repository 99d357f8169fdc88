//go:build linux

package tap

import (
	"net/netip"
	"slices"
	"testing"
)

// The kernel side gets its subnet's broadcast address, as "ip addr add
// ADDR broadcast + dev NAME" gives it; a /31 or /32 has none.
func TestIPAddrArgs(t *testing.T) {
	for _, c := range []struct {
		addr string
		want []string
	}{
		{"10.0.0.2/24", []string{"addr", "replace", "10.0.0.2/24", "broadcast", "+", "dev", "tap0"}},
		{"10.0.0.1/31", []string{"addr", "replace", "10.0.0.1/31", "dev", "tap0"}},
		{"10.0.0.1/32", []string{"addr", "replace", "10.0.0.1/32", "dev", "tap0"}},
	} {
		if got := ipAddrArgs("tap0", netip.MustParsePrefix(c.addr)); !slices.Equal(got, c.want) {
			t.Errorf("ipAddrArgs(%s) (-want +got):\n-%q\n+%q", c.addr, c.want, got)
		}
	}
}
