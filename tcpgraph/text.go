package tcpgraph

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/gotapip/gotapip/tcp"
)

// Samples writes h's samples as a table, one line per ACK processed (or
// timeout): the figures ss -i prints, over time. Sequence numbers are
// relative to our ISN; cwnd and ssthresh in segments, as ss prints them.
func Samples(w io.Writer, h tcp.History) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "time(s)\tstate\tsnd_una\tsnd_nxt\tinflight\tcwnd\tssthresh\trtt(ms)\trttvar\trto\twnd\t\t")
	mss := max(h.MSS, 1)
	u := unwrapper{base: h.ISS}
	for _, s := range h.Samples {
		una := u.at(s.Una)
		nxt := una + float64(s.Nxt.Sub(s.Una))
		ssthresh := "-"
		if s.Ssthresh < infinite {
			ssthresh = fmt.Sprint(s.Ssthresh / mss)
		}
		flags := ""
		if s.Recovery {
			flags = "recovery"
		}
		if s.Backoff > 0 {
			flags += fmt.Sprintf(" backoff %d", s.Backoff)
		}
		fmt.Fprintf(tw, "%.6f\t%s\t%.0f\t%.0f\t%d\t%d\t%s\t%.3f\t%.3f\t%.0f\t%d\t%s\t\n",
			s.At.Seconds(), s.State.SSName(), una, nxt, s.InFlight, s.Cwnd/mss, ssthresh,
			ms(s.SRTT), ms(s.RTTVar), ms(s.RTO), s.SndWnd, flags)
	}
	return tw.Flush()
}
