package shell

import (
	"testing"
	"time"

	"github.com/gotapip/gotapip/tcp"
)

// ss -i's line in iproute2's order and words: the algorithm after sack,
// ssthresh only once set, send (cwnd over rtt) and pacing_rate scaled
// to three digits as ss prints them, or whole with -n. Times are
// tcp_info's whole microseconds: rtt and send only once it is not 0.
func TestTCPInternals(t *testing.T) {
	info := tcp.ConnInfo{
		Timestamps: true, SACK: true, WScaleOK: true, SndWScale: 7, RcvWScale: 7,
		RTO: 204 * time.Millisecond, RTT: 123 * time.Microsecond, RTTVar: 61 * time.Microsecond,
		MSS: 1448, RcvMSS: 536, Cwnd: 10, Ssthresh: 20,
		CongestionControl: "cubic", PacingRate: 141_268_292, // 1.2 x cwnd/srtt in bytes/s
	}
	cases := []struct {
		name    string
		mod     func(*tcp.ConnInfo)
		numeric bool
		want    string
	}{
		{"cubic", nil, false, " ts sack cubic wscale:7,7 rto:204 rtt:0.123/0.061 mss:1448 rcvmss:536 cwnd:10 ssthresh:20 send 942Mbps pacing_rate 1.13Gbps"},
		{"numeric", nil, true, " ts sack cubic wscale:7,7 rto:204 rtt:0.123/0.061 mss:1448 rcvmss:536 cwnd:10 ssthresh:20 send 941788618bps pacing_rate 1130146336bps"},
		{"before the first loss", func(c *tcp.ConnInfo) { c.Ssthresh = tcp.InfiniteSsthresh; c.CongestionControl = "reno" }, false,
			" ts sack reno wscale:7,7 rto:204 rtt:0.123/0.061 mss:1448 rcvmss:536 cwnd:10 send 942Mbps pacing_rate 1.13Gbps"},
		{"no RTT yet", func(c *tcp.ConnInfo) { c.RTT, c.RTTVar, c.PacingRate, c.Retransmits = 0, 0, 0, 2 }, false,
			" ts sack cubic wscale:7,7 rto:204 backoff:2 mss:1448 rcvmss:536 cwnd:10 ssthresh:20"},
		{"slow", func(c *tcp.ConnInfo) { c.RTT, c.PacingRate = 2*time.Second, 120 }, false,
			" ts sack cubic wscale:7,7 rto:204 rtt:2000/0.061 mss:1448 rcvmss:536 cwnd:10 ssthresh:20 send 57.9Kbps pacing_rate 960bps"},
		{"below a microsecond: tcpi_rtt 0", func(c *tcp.ConnInfo) { c.RTT, c.PacingRate = 999*time.Nanosecond, 2_500_000_000_000 }, false,
			" ts sack cubic wscale:7,7 rto:204 mss:1448 rcvmss:536 cwnd:10 ssthresh:20 pacing_rate 20Tbps"},
		{"a TAP's round trip", func(c *tcp.ConnInfo) {
			c.RTT, c.RTTVar, c.MinRTT, c.PacingRate = 52_999*time.Nanosecond, 26*time.Microsecond, 31*time.Microsecond, 0
		}, false,
			" ts sack cubic wscale:7,7 rto:204 rtt:0.052/0.026 mss:1448 rcvmss:536 cwnd:10 ssthresh:20 send 2.23Gbps minrtt:0.031"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := info
			if c.mod != nil {
				c.mod(&in)
			}
			if got := tcpInternals(&in, c.numeric); got != c.want {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}
