package tcp

import (
	"context"
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"github.com/gotapip/gotapip/internal/ports"
)

// Listeners bind in the shared port table (its wildcard rules); a
// connection's ephemeral port is one no listener holds, and is shared by
// connections to different peers (the 4-tuple is what is unique).
func TestPortsListenAndDial(t *testing.T) {
	n := newTestNet(t, nil)
	n.p.ports = ports.New[*Listener](MaxListeners, 50000, 50001) // a range of two
	wild, err := n.p.Listen(netip.MustParseAddrPort("0.0.0.0:50000"), 8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.p.Listen(netip.MustParseAddrPort("10.0.0.1:50000"), 8); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("a specific address under a wildcard listener: %v, want EADDRINUSE", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dials := make(chan error, 3)
	dial := func(remote string) {
		go func() {
			_, err := n.p.Dial(ctx, netip.MustParseAddrPort(remote))
			dials <- err
		}()
	}
	dial("10.0.0.2:80")
	if syn := n.expect(FlagSYN, 0, 0); syn.SrcPort() != 50001 {
		t.Errorf("first connection from port %d, want 50001 (50000 listens)", syn.SrcPort())
	}
	dial("10.0.0.3:80")
	if syn := n.expect(FlagSYN, 0, 0); syn.SrcPort() != 50001 {
		t.Errorf("connection to another peer from port %d, want 50001 again", syn.SrcPort())
	}
	_, err = n.p.Dial(ctx, netip.MustParseAddrPort("10.0.0.2:80"))
	if !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Errorf("a second connection to the same peer with no port left: %v, want EADDRNOTAVAIL", err)
	}
	wild.Close()
	l, err := n.p.Listen(netip.MustParseAddrPort("10.0.0.1:0"), 8)
	if err != nil {
		t.Fatalf("port 0 after the wildcard closed: %v", err)
	}
	if got := l.Addr().String(); got != "10.0.0.1:50000" && got != "10.0.0.1:50001" {
		t.Errorf("port 0 listens on %s, want a port of the range", got)
	}
	cancel()
	for range 2 {
		<-dials
	}
}
