package shell

import "testing"

// bitRate prints as iproute2's ss prints a rate (sprint_bw): bits per
// second, three significant digits and a prefix from K up, or with -n
// the whole number.
func TestBitRate(t *testing.T) {
	for _, tc := range []struct {
		bytesPerSec float64
		numeric     bool
		want        string
	}{
		{0, false, "0bps"},
		{100, false, "800bps"},
		{125, false, "1Kbps"},
		{126, false, "1.01Kbps"},
		{1_448_000, false, "11.6Mbps"},
		{150_000_000, false, "1.2Gbps"},
		{221_250_000, false, "1.77Gbps"},
		{221_250_000, true, "1770000000bps"},
		{2e12, false, "16Tbps"},
	} {
		if got := bitRate(tc.bytesPerSec*8, tc.numeric); got != tc.want {
			t.Errorf("bitRate(%v bytes/s, numeric %v) = %q, want %q", tc.bytesPerSec, tc.numeric, got, tc.want)
		}
	}
}
