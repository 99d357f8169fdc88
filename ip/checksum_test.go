package ip

import "testing"

// The checksum itself is tested in internal/checksum; here, that real
// IPv4 headers verify through ip's entry points.
func TestChecksumGoldenHeaders(t *testing.T) {
	for name, h := range map[string][]byte{"IPv4 header": goldenUDP, "IPv4 header with options": goldenFragOpts} {
		if got := Checksum(h, 0); got != 0 {
			t.Errorf("%s sums to %#04x, want 0", name, got)
		}
	}
}

func BenchmarkChecksum20(b *testing.B) {
	b.SetBytes(int64(len(goldenUDP)))
	b.ReportAllocs()
	for b.Loop() {
		Checksum(goldenUDP, 0)
	}
}
