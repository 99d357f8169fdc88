//go:build linux

package packet

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/netdev"
)

// An interface deleted under the driver (ip link del) ends a blocked read
// with netdev.ErrGone, within a recheck or two, and a write fails the same
// way; an interface merely down is not gone (TestInterfaceDownAndUp).
func TestInterfaceDeleted(t *testing.T) {
	us, _, _ := kernelPeer(t, netip.MustParsePrefix("10.77.8.2/24"))
	p := openIn(t, us, "veth0", defaultFeatures())
	read := make(chan error, 1)
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, err := p.ReadFrame(buf); err != nil {
				read <- err
				return
			}
		}
	}()
	nstest.Run(t, us, "ip", "link", "del", "veth0")
	select {
	case err := <-read:
		if !errors.Is(err, netdev.ErrGone) {
			t.Errorf("read after ip link del: %v, want netdev.ErrGone", err)
		}
	case <-time.After(10 * downRecheck): // a bound, not a timing
		t.Fatal("read still blocked after the interface was deleted")
	}
	if err := p.WriteFrame(testFrame(benchType, 9, 0, 60)); !errors.Is(err, netdev.ErrGone) {
		t.Errorf("write after ip link del: %v, want netdev.ErrGone", err)
	}
}
