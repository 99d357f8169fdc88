package shell

import (
	"testing"
	"time"

	"github.com/gotapip/gotapip/tcp"
)

// ss -i's line in iproute2's order and words: the algorithm after sack,
// ssthresh only once set, send (cwnd over rtt) and pacing_rate scaled
// to three digits as ss prints them, or whole with -n.
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
			" ts sack cubic wscale:7,7 rto:204 backoff:2 rtt:0/0 mss:1448 rcvmss:536 cwnd:10 ssthresh:20"},
		{"slow", func(c *tcp.ConnInfo) { c.RTT, c.PacingRate = 2*time.Second, 120 }, false,
			" ts sack cubic wscale:7,7 rto:204 rtt:2000/0.061 mss:1448 rcvmss:536 cwnd:10 ssthresh:20 send 57.9Kbps pacing_rate 960bps"},
		{"a nanosecond's RTT", func(c *tcp.ConnInfo) { c.RTT, c.PacingRate = time.Nanosecond, 2_500_000_000_000 }, false,
			" ts sack cubic wscale:7,7 rto:204 rtt:0/0.061 mss:1448 rcvmss:536 cwnd:10 ssthresh:20 send 116Tbps pacing_rate 20Tbps"},
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
