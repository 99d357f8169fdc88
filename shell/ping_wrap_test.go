package shell_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/shell"
)

// Across the 16-bit wrap of the sequence number, in a run that has already
// used every number once, each reply is new: matched, timed, not a DUP;
// icmp_seq shows the 16-bit value, 0 after 65535, as iputils does. A reply
// that really is a duplicate is still marked so.
func TestPingAcrossSequenceWrap(t *testing.T) {
	cases := []struct {
		name      string
		duplicate float64 // the wire's duplication
	}{
		{"clean wire", 0},
		{"every frame duplicated", 1},
	}
	wantSeqs := []string{"65534", "65535", "0", "1"}
	reply := regexp.MustCompile(`(?m)^64 bytes from 10\.0\.0\.2: icmp_seq=(\d+) ttl=64 time=([\d.]+) ms( \(DUP!\))?$`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t)
			if err := l.run(t, "ping -c 1 -W 2 10.0.0.2"); err != nil { // resolve first
				t.Fatal(err)
			}
			l.wire.SetImpairments(pipe.Impairments{Duplicate: c.duplicate})
			l.out.Reset()
			if err := shell.PingAfterWrap(context.Background(), l.sh, "-c 4 -i 0.05 -W 2 10.0.0.2", 65533); err != nil {
				t.Fatalf("ping across the wrap: %v\n%s", err, l.out)
			}
			out := l.out.String()
			var fresh []string
			dups := map[string]int{}
			for _, m := range reply.FindAllStringSubmatch(out, -1) {
				seq, rtt, dup := m[1], m[2], m[3] != ""
				if rtt == "0.000" {
					t.Errorf("icmp_seq=%s: RTT 0, want the time since its request", seq)
				}
				switch {
				case dup && dups[seq] == 0 && !slices.Contains(fresh, seq):
					t.Errorf("icmp_seq=%s: the first reply is marked DUP", seq)
				case dup:
					dups[seq]++
				case slices.Contains(fresh, seq):
					t.Errorf("icmp_seq=%s: a second reply is not marked DUP", seq)
				default:
					fresh = append(fresh, seq)
				}
			}
			if strings.Join(fresh, " ") != strings.Join(wantSeqs, " ") {
				t.Errorf("replies matched for icmp_seq %v, want %v:\n%s", fresh, wantSeqs, out)
			}
			if !strings.Contains(out, "4 packets transmitted, 4 received") {
				t.Errorf("statistics do not count 4 replies:\n%s", out)
			}
			if c.duplicate == 0 && strings.Contains(out, "DUP") {
				t.Errorf("a duplicate on a clean wire:\n%s", out)
			}
			// The last request's duplicates may come after ping has stopped.
			if c.duplicate > 0 && (dups["65535"] == 0 || dups["0"] == 0) {
				t.Errorf("duplicates of icmp_seq 65535 and 0 not marked (DUP!) (by seq: %v):\n%s", dups, out)
			}
		})
	}
}
