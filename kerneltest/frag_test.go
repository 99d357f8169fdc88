//go:build linux

package kerneltest

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// The kernel pings us with 6000 and 60000 bytes (fragmented both ways) and
// gets every reply; we ping it with the same sizes (tapip's doc/test).
func TestLargePingsBothWays(t *testing.T) {
	h := newTapHost(t)
	for _, size := range []string{"6000", "60000"} {
		out := nstest.Run(t, h.ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", size, "10.0.0.1")
		if got := ipingReceived(t, out); !strings.HasPrefix(got, "3 packets transmitted, 3 received") {
			t.Errorf("kernel ping -s %s: %s", size, got)
		}
		out, err := shellRun(h, "ping -c 3 -i 0.2 -W 2 -s "+size+" 10.0.0.2")
		if err != nil || !strings.Contains(out, "3 packets transmitted, 3 received") {
			t.Errorf("stack ping -s %s: %v\n%s", size, err, out)
		}
	}
	if ok := h.stack.IP.Reasm.Stats.ReasmOKs.Load(); ok < 6 {
		t.Errorf("ReasmOKs = %d, want at least 6", ok)
	}
}

// bigEcho is an echo request of n data bytes from the kernel's address to
// ours, as one whole datagram with the given IP id.
func bigEcho(n int, id uint16) []byte {
	d := make([]byte, ip.HeaderLen+8+n)
	msg := d[ip.HeaderLen:]
	msg[0] = 8
	binary.BigEndian.PutUint16(msg[4:], 0x7777)
	for i := range msg[8:] {
		msg[8+i] = byte(i)
	}
	binary.BigEndian.PutUint16(msg[2:], ip.Checksum(msg, 0))
	ip.Header(d).Encode(ip.Fields{TotalLen: len(d), ID: id, TTL: 64, Protocol: ip.ProtoICMP,
		Src: kernelAddr.Addr(), Dst: stackAddr.Addr()})
	return d
}

// fragOf cuts the fragment [off, off+n) of datagram d's payload, with MF.
func fragOf(d []byte, off, n int, more bool) []byte {
	payload := d[ip.HeaderLen:]
	f := make([]byte, ip.HeaderLen+n)
	copy(f, d[:ip.HeaderLen])
	copy(f[ip.HeaderLen:], payload[off:off+n])
	hdr := ip.Header(f)
	hdr.SetTotalLen(len(f))
	hdr.SetFragment(off, more)
	hdr.UpdateChecksum()
	return f
}

// waitFor polls cond until it holds or 10 s pass (a bound, not a timing).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Fragments crafted on the kernel side: order, duplicates, overlaps and
// oversize each end as they must, and counters say what happened.
func TestCraftedFragments(t *testing.T) {
	h := newTapHost(t)
	send := kernelSender(t, h)
	ours, theirs := h.dev.MAC(), h.kernelMAC(t)
	emit := func(f []byte) { send(frame(ours, theirs, netdev.EtherTypeIPv4, f)) }
	st := &h.stack.IP.Reasm.Stats
	replies := &h.stack.ICMP.Stats.OutType[0]
	if got := h.ping(t, "10.0.0.2", 1); got != 1 { // ARP resolved: replies can go out at once
		t.Fatal("warm-up ping failed")
	}
	cases := []struct {
		name      string
		frags     func(d []byte) [][]byte
		completes bool
	}{
		{"reverse order", func(d []byte) [][]byte {
			return [][]byte{fragOf(d, 2400, 608, false), fragOf(d, 1200, 1200, true), fragOf(d, 0, 1200, true)}
		}, true},
		{"duplicates", func(d []byte) [][]byte {
			a, b, c := fragOf(d, 0, 1480, true), fragOf(d, 1480, 1480, true), fragOf(d, 2960, 48, false)
			return [][]byte{a, b, a, c, b}
		}, true},
		{"overlap (teardrop)", func(d []byte) [][]byte {
			return [][]byte{fragOf(d, 0, 1480, true), fragOf(d, 1200, 1480, true), fragOf(d, 2680, 328, false)}
		}, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			okBefore, failBefore, repliesBefore := st.ReasmOKs.Load(), st.ReasmFails.Load(), replies.Load()
			for _, f := range c.frags(bigEcho(3000, uint16(100+i))) {
				emit(f)
			}
			if got := h.ping(t, "10.0.0.2", 1); got != 1 { // a barrier: the fragments were read
				t.Fatal("no ping reply after the fragments")
			}
			if c.completes {
				if st.ReasmOKs.Load() != okBefore+1 || replies.Load() != repliesBefore+1 {
					t.Errorf("ReasmOKs %d -> %d, echo replies %d -> %d; want one more of each",
						okBefore, st.ReasmOKs.Load(), repliesBefore, replies.Load())
				}
			} else if st.ReasmFails.Load() == failBefore || replies.Load() != repliesBefore {
				t.Errorf("ReasmFails %d -> %d, echo replies %d -> %d; want a failure and no reply",
					failBefore, st.ReasmFails.Load(), repliesBefore, replies.Load())
			}
		})
	}
	t.Run("past 65535 (ping of death)", func(t *testing.T) {
		failBefore := st.ReasmFails.Load()
		d := bigEcho(1000, 200)
		last := fragOf(d, 0, 1000, false)
		ip.Header(last).SetFragment(65528, false) // 65528 + 20 + 1000 > 65535
		ip.Header(last).UpdateChecksum()
		emit(fragOf(d, 0, 8, true))
		emit(last)
		if h.ping(t, "10.0.0.2", 1) != 1 {
			t.Fatal("no ping reply after the oversized fragment")
		}
		if st.ReasmFails.Load() == failBefore {
			t.Errorf("an oversized datagram was not refused")
		}
	})
	t.Run("thousands incomplete", func(t *testing.T) {
		cfg := h.stack.IP.Reasm.Config()
		// In batches well under the TAP's queue, each read before the next:
		// an overflowing kernel queue would drop the ping reply used below
		// as a barrier.
		// From a neighbour's address (10.0.0.3), not the kernel's: the
		// kernel's real ping below picks its own IP IDs, and one equal to
		// a flooded datagram's (same source, destination, protocol and
		// ID) would join it, overlap it and be discarded with it, as
		// RFC 5722 would have it — the ping lost for a correct reason.
		flooder := netip.MustParseAddr("10.0.0.3")
		rx := &h.dev.Stats.RxPackets
		for batch := range 12 {
			start := rx.Load()
			for i := range 250 {
				f := fragOf(bigEcho(1400, uint16(1000+batch*250+i)), 0, 1200, true)
				ip.Header(f).SetSrc(flooder)
				ip.Header(f).UpdateChecksum()
				emit(f)
			}
			waitFor(t, "the stack to read a batch of fragments", func() bool { return rx.Load() >= start+250 })
		}
		if h.ping(t, "10.0.0.2", 1) != 1 {
			t.Fatal("no ping reply after the flood")
		}
		if held, n := h.stack.IP.Reasm.BytesHeld(), h.stack.IP.Reasm.Datagrams(); held > cfg.HighThresh || n > cfg.MaxDatagrams {
			t.Errorf("holding %d bytes in %d datagrams; caps %d bytes, %d datagrams", held, n, cfg.HighThresh, cfg.MaxDatagrams)
		}
		out := nstest.Run(t, h.ns, "ping", "-c", "1", "-W", "2", "-s", "3000", "10.0.0.1")
		if got := ipingReceived(t, out); !strings.HasPrefix(got, "1 packets transmitted, 1 received") {
			t.Errorf("a real fragmented ping after the flood: %s", got)
		}
	})
}

// An incomplete datagram whose first fragment came is answered, once the
// reassembly timeout passes, with ICMP time exceeded (code 1), which the
// kernel counts.
func TestReassemblyTimeoutSendsTimeExceeded(t *testing.T) {
	h := newTapHost(t)
	if out, err := shellRun(h, "sysctl net.ipv4.ipfrag_time=1"); err != nil {
		t.Fatalf("sysctl: %v %s", err, out)
	}
	send := kernelSender(t, h)
	before := kernelSNMP(t, h.ns, "Icmp", "InTimeExcds")
	send(frame(h.dev.MAC(), h.kernelMAC(t), netdev.EtherTypeIPv4, fragOf(bigEcho(3000, 4242), 0, 1480, true)))
	waitFor(t, "the kernel to count a time exceeded", func() bool {
		return kernelSNMP(t, h.ns, "Icmp", "InTimeExcds") > before
	})
	if n := h.stack.IP.Reasm.Stats.ReasmTimeout.Load(); n != 1 {
		t.Errorf("ReasmTimeout = %d, want 1", n)
	}
}

// kernelSNMP reads one counter of /proc/net/snmp inside ns.
func kernelSNMP(t *testing.T, ns, group, name string) int {
	t.Helper()
	lines := strings.Split(nstest.Run(t, ns, "cat", "/proc/net/snmp"), "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != group+":" || len(values) != len(names) {
			continue
		}
		for j, n := range names {
			if n == name {
				v, err := strconv.Atoi(values[j])
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
	}
	t.Fatalf("no %s %s in /proc/net/snmp", group, name)
	return 0
}

// shellRun runs one command in a shell over h's stack and returns its output.
func shellRun(h *tapHost, line string) (string, error) {
	var out syncbuf.Buffer
	err := newShell(h, &out).Execute(bgCtx(), line)
	return out.String(), err
}

var _ = fmt.Sprint
