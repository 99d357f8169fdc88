package stack_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/stack"
)

// TestSendOnFromUnspecified: a socket sends from 0.0.0.0 out of a device
// with no address (what a DHCP client does first); the peer's wildcard
// socket gets it as a broadcast from 0.0.0.0.
func TestSendOnFromUnspecified(t *testing.T) {
	a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	dev, _ := a.Device("veth0")
	a.RemoveAddress(dev)
	if dev.Addr().IsValid() || len(a.IP.Routes.List()) != 1 { // lo's route alone
		t.Fatalf("after RemoveAddress: address %v, routes %v", dev.Addr(), a.IP.Routes.List())
	}
	rx := listen(t, b, "0.0.0.0:67")
	tx := listen(t, a, "0.0.0.0:68")
	if _, err := tx.SendTo([]byte("x"), ap("255.255.255.255:67")); err == nil {
		t.Error("SendTo found a route with no address on any device")
	}
	if _, err := tx.SendOn(dev, []byte("discover"), netip.IPv4Unspecified(), ap("255.255.255.255:67")); err != nil {
		t.Fatal(err)
	}
	got, from := recvWithin(t, rx, 5*time.Second)
	if string(got) != "discover" || from != ap("0.0.0.0:68") {
		t.Errorf("got %q from %v, want \"discover\" from 0.0.0.0:68", got, from)
	}
	unbound, err := a.UDP.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer unbound.Close()
	if _, err := unbound.SendOn(dev, []byte("x"), netip.IPv4Unspecified(), ap("255.255.255.255:67")); err == nil || !strings.Contains(err.Error(), "not bound") {
		t.Errorf("SendOn on an unbound socket: %v", err)
	}
}
