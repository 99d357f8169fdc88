package stack_test

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/stack"
)

// goneDriver reads nothing until the test removes the device under it;
// then every read fails with netdev.ErrGone, as a deleted TAP's does.
type goneDriver struct {
	gone, closed chan struct{}
	closeOnce    sync.Once
}

func (g *goneDriver) ReadFrame([]byte) (int, error) {
	select {
	case <-g.gone:
		return 0, fmt.Errorf("fake veth1: read: %w", netdev.ErrGone)
	case <-g.closed:
		return 0, netdev.ErrClosed
	}
}
func (g *goneDriver) WriteFrame([]byte) error { return nil }
func (g *goneDriver) Kind() string            { return "fake" }
func (g *goneDriver) Close() error {
	g.closeOnce.Do(func() { close(g.closed) })
	return nil
}

// A device removed under the stack leaves it, as Linux unregisters a
// netdev: its routes go, its driver is closed, and the program hears of it
// once, by then with the device already out of the list.
func TestDeviceRemovedUnderStack(t *testing.T) {
	s := stack.New(stack.Config{TickInterval: -1})
	defer s.Close()
	notices := make(chan string, 4)
	s.SetNotice(func(line string) { notices <- line })
	drv := &goneDriver{gone: make(chan struct{}), closed: make(chan struct{})}
	addr := netip.MustParsePrefix("10.9.0.1/24")
	if _, err := s.AddDevice(drv, netdev.Config{Name: "veth1", MAC: stack.MACFor(addr.Addr())}, addr); err != nil {
		t.Fatal(err)
	}
	close(drv.gone)
	if got, want := <-notices, "veth1: device removed"; got != want {
		t.Errorf("notice %q, want %q", got, want)
	}
	if _, err := s.Device("veth1"); !errors.Is(err, stack.ErrNoDevice) {
		t.Errorf("Device(veth1) after removal: %v, want ErrNoDevice", err)
	}
	if r, ok := s.IP.Routes.Lookup(netip.MustParseAddr("10.9.0.5")); ok {
		t.Errorf("route %v left behind for the removed device", r)
	}
	select {
	case <-drv.closed:
	default:
		t.Error("the removed device's driver was not closed")
	}
	select {
	case line := <-notices:
		t.Errorf("a second notice: %q", line)
	default:
	}
	if _, err := s.Device("lo"); err != nil {
		t.Errorf("lo went with it: %v", err)
	}
}
