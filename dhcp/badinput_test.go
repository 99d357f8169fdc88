package dhcp_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/dhcp"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/sim"
	"github.com/gotapip/gotapip/stack"
)

// TestBadReplies: before a good OFFER the server sends every kind of bad
// one; each is counted under its reason, the first of each kind is
// explained, and the client binds from the good one.
func TestBadReplies(t *testing.T) {
	l := newLab(t, noProbe)
	h := l.handServer()
	done := l.start()
	disc := h.recv(dhcp.Discover)
	good := func(typ dhcp.MessageType, more ...byte) []byte {
		var b dhcp.Builder
		b.AddType(typ)
		b.AddAddrs(dhcp.OptServerID, serverAddr.Addr())
		b = append(b, more...)
		return dhcp.Append(nil, dhcp.Fields{Op: dhcp.OpReply, XID: disc.XID(), YourIP: netip.MustParseAddr("10.0.0.50"), ClientMAC: clientMAC}, b)
	}
	wrongXID := good(dhcp.Offer)
	wrongXID[4] ^= 0xff
	wrongOp := good(dhcp.Offer)
	wrongOp[0] = dhcp.OpRequest
	noAddr := good(dhcp.Offer)
	copy(noAddr[16:20], []byte{0, 0, 0, 0})
	lying := good(dhcp.Offer, dhcp.OptRouter, 200, 10, 0, 0, 254)[:dhcp.HeaderLen+20] // option 3 says 200 bytes
	otherMAC := good(dhcp.Offer)
	otherMAC[28] ^= 0x01
	for _, b := range [][]byte{
		wrongXID,
		wrongOp,
		good(dhcp.Offer)[:100], // truncated
		lying,
		good(dhcp.Offer, dhcp.OptRouter, 5, 10, 0, 0, 254, 1), // router of 5 bytes
		noAddr,
		good(dhcp.Ack), // an ACK while selecting
		otherMAC,       // another host's
	} {
		h.send(b)
	}
	h.reply(disc, dhcp.Offer, "10.0.0.50", time.Hour, nil)
	h.reply(h.recv(dhcp.Request), dhcp.Ack, "10.0.0.50", time.Hour, nil)
	lines := strings.Join(l.waitLine("bound to"), "\n")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := &l.m.Stats
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"InWrongXID", st.InWrongXID.Load(), 1},
		{"InNotReply", st.InNotReply.Load(), 1},
		{"InMalformed", st.InMalformed.Load(), 3},
		{"InUnexpected", st.InUnexpected.Load(), 2},
		{"InOtherClient", st.InOtherClient.Load(), 1},
		{"InMessages", st.InMessages.Load(), 10},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	for _, want := range []string{"is not ours", "op 1 is not a reply", "100 bytes: message shorter than its fixed part",
		"DHCPOFFER of 0.0.0.0: no address", "DHCPACK from 10.0.0.254 while SELECTING"} {
		if !strings.Contains(lines, want) {
			t.Errorf("no line explains %q:\n%s", want, lines)
		}
	}
}

// TestDeclineOnConflict: a host already using the offered address answers
// the ARP probe; the client declines it, waits, and binds the next one.
func TestDeclineOnConflict(t *testing.T) {
	l := newLab(t, dhcp.Config{})
	srv := l.simServer(sim.DHCPConfig{First: netip.MustParseAddr("10.0.0.50"), Last: netip.MustParseAddr("10.0.0.51")})
	squatter := stack.New(stack.Config{TickInterval: -1})
	t.Cleanup(squatter.Close)
	taken := netip.MustParsePrefix("10.0.0.50/24")
	if _, err := squatter.AddDevice(l.sw.NewPort(), netdev.Config{Name: "eth0", MAC: stack.MACFor(taken.Addr())}, taken); err != nil {
		t.Fatal(err)
	}
	done := l.start()
	lines := strings.Join(l.driveTo("bound to"), "\n")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"DHCPACK of 10.0.0.50 from 10.0.0.254",
		"10.0.0.50 is in use by " + stack.MACFor(taken.Addr()).String(),
		"DHCPDECLINE of 10.0.0.50 on veth0 to 255.255.255.255 port 67",
		"bound to 10.0.0.51",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("no line %q in:\n%s", want, lines)
		}
	}
	if l.m.Stats.ProbeConflicts.Load() != 1 || l.m.Stats.OutDeclines.Load() != 1 {
		t.Errorf("conflicts %d, declines %d, want 1 and 1", l.m.Stats.ProbeConflicts.Load(), l.m.Stats.OutDeclines.Load())
	}
	if a, ok := srv.Bound(clientMAC); !ok || a != netip.MustParseAddr("10.0.0.51") {
		t.Errorf("the server bound %v %v, want 10.0.0.51", a, ok)
	}
	if l.dev.Addr() != netip.MustParsePrefix("10.0.0.51/24") {
		t.Errorf("veth0 has %v", l.dev.Addr())
	}
}
