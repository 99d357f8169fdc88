package shell

import "testing"

// bitRate prints as iproute2's ss prints a rate (sprint_bw): bits, one
// decimal, a prefix only above each step.
func TestBitRate(t *testing.T) {
	for _, tc := range []struct {
		bytesPerSec int64
		want        string
	}{
		{0, "0bps"},
		{100, "800bps"},
		{125, "1000bps"},
		{126, "1.0Kbps"},
		{1_448_000, "11.6Mbps"},
		{150_000_000, "1.2Gbps"},
	} {
		if got := bitRate(tc.bytesPerSec); got != tc.want {
			t.Errorf("bitRate(%d) = %q, want %q", tc.bytesPerSec, got, tc.want)
		}
	}
}
