package dhcp

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// TestRoutesRFC3442 uses the destination descriptors of RFC 3442's table.
func TestRoutesRFC3442(t *testing.T) {
	gw := []byte{10, 0, 0, 1}
	cases := []struct {
		dst  string
		desc []byte
	}{
		{"0.0.0.0/0", []byte{0}},
		{"10.0.0.0/8", []byte{8, 10}},
		{"10.0.0.0/24", []byte{24, 10, 0, 0}},
		{"10.17.0.0/16", []byte{16, 10, 17}},
		{"10.27.129.0/24", []byte{24, 10, 27, 129}},
		{"10.229.0.128/25", []byte{25, 10, 229, 0, 128}},
		{"10.198.122.47/32", []byte{32, 10, 198, 122, 47}},
	}
	for _, c := range cases {
		t.Run(c.dst, func(t *testing.T) {
			enc := append(append([]byte(nil), c.desc...), gw...)
			routes, err := ParseRoutes(enc)
			if err != nil {
				t.Fatal(err)
			}
			want := Route{Dst: netip.MustParsePrefix(c.dst), Gateway: netip.MustParseAddr("10.0.0.1")}
			if len(routes) != 1 || routes[0] != want {
				t.Errorf("ParseRoutes(%v) = %v, want %v", enc, routes, want)
			}
			if got := AppendRoutes(nil, routes); !bytes.Equal(got, enc) {
				t.Errorf("AppendRoutes = %v, want %v", got, enc)
			}
		})
	}
}

func TestRoutesRejected(t *testing.T) {
	for name, v := range map[string][]byte{
		"empty":      {},
		"width 33":   {33, 10, 0, 0, 0, 0, 10, 0, 0, 1},
		"router cut": {8, 10, 10, 0, 0},
		"host bits":  {7, 11, 10, 0, 0, 1}, // 11.0.0.0/7 has host bits set
		"too many":   bytes.Repeat([]byte{0, 10, 0, 0, 1}, maxRoutes+1),
		"dst cut":    {24, 10, 0},
	} {
		if r, err := ParseRoutes(v); err == nil {
			t.Errorf("%s: ParseRoutes(%v) = %v, want an error", name, v, r)
		}
	}
}

// TestBackoff: 4, 8, 16, 32 then 64 s, each within one second either way
// (RFC 2131 4.1), and the jitter really varies.
func TestBackoff(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for attempt, base := range []time.Duration{4, 8, 16, 32, 64, 64, 64} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Backoff(attempt, r)
			if d < (base-1)*time.Second || d > (base+1)*time.Second {
				t.Fatalf("attempt %d: %v, want %v +-1 s", attempt, d, base*time.Second)
			}
			seen[d] = true
		}
		if len(seen) < 100 {
			t.Errorf("attempt %d: only %d distinct waits in 200", attempt, len(seen))
		}
	}
}

func TestHalfway(t *testing.T) {
	for _, c := range []struct{ left, want time.Duration }{
		{1000 * time.Second, 500 * time.Second},
		{100 * time.Second, 60 * time.Second}, // at least a minute (RFC 2131 4.4.5)
		{30 * time.Second, 30 * time.Second},  // but never past the end
	} {
		if got := halfway(c.left); got != c.want {
			t.Errorf("halfway(%v) = %v, want %v", c.left, got, c.want)
		}
	}
}
