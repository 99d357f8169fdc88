package netdev

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"
)

// scriptedDriver fails its first reads with the errors in errs, in order,
// then reads from the fake driver's queue.
type scriptedDriver struct {
	*fakeDriver
	mu    sync.Mutex
	errs  []error
	reads int
}

func (s *scriptedDriver) ReadFrame(buf []byte) (int, error) {
	s.mu.Lock()
	s.reads++
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		s.mu.Unlock()
		return 0, err
	}
	s.mu.Unlock()
	return s.fakeDriver.ReadFrame(buf)
}

func (s *scriptedDriver) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func newScriptedDev(t *testing.T, errs ...error) (*NetDev, *scriptedDriver, *Demux) {
	t.Helper()
	drv := &scriptedDriver{fakeDriver: newFakeDriver(), errs: errs}
	demux := &Demux{}
	d, err := New(Config{Name: "veth0", MAC: macA}, drv, demux, NewPool())
	if err != nil {
		t.Fatal(err)
	}
	d.SetUp(true)
	return d, drv, demux
}

// Passing errors (a full socket buffer, a signal) are counted and the read
// retried: the device stays up and the next frame arrives.
func TestPollerRetriesPassingErrors(t *testing.T) {
	passing := []error{
		fmt.Errorf("tap veth0: read: %w", syscall.ENOBUFS),
		fmt.Errorf("tap veth0: read: %w", syscall.EAGAIN),
		fmt.Errorf("tap veth0: read: %w", syscall.EIO),
	}
	d, drv, demux := newScriptedDev(t, passing...)
	d.OnGone(func(*NetDev, error) { t.Error("a passing error was taken for a removed device") })
	got := make(chan struct{}, 1)
	demux.Register(EtherTypeIPv4, func(p *Packet) { p.Free(); got <- struct{}{} })
	d.Start()
	drv.rx.Put(frameTo(macA, EtherTypeIPv4, "x"))
	<-got
	if !d.IsUp() {
		t.Error("device down after passing errors, want up")
	}
	d.Close(true)
	if n := d.Stats.RxErrors.Load(); n != uint64(len(passing)) {
		t.Errorf("RxErrors = %d, want %d", n, len(passing))
	}
}

// A device gone is reported once, after the poller stopped; the device is
// down by then and no read follows.
func TestPollerStopsWhenDeviceGone(t *testing.T) {
	gone := fmt.Errorf("tap veth0: read: %w: %w", ErrGone, syscall.ENODEV)
	d, drv, _ := newScriptedDev(t, fmt.Errorf("tap veth0: read: %w", syscall.ENOBUFS), gone)
	reports := make(chan error, 2)
	d.OnGone(func(dev *NetDev, err error) {
		if dev != d {
			t.Errorf("OnGone for %v, want %v", dev, d)
		}
		if dev.IsUp() {
			t.Error("device still up when OnGone runs")
		}
		dev.Close(true) // the poller has stopped: this must not wait for it
		reports <- err
	})
	d.Start()
	if err := <-reports; !errors.Is(err, ErrGone) || !errors.Is(err, syscall.ENODEV) {
		t.Errorf("OnGone got %v, want ErrGone wrapping ENODEV", err)
	}
	select {
	case err := <-reports:
		t.Errorf("a second report: %v", err)
	default:
	}
	if n := drv.readCount(); n != 2 {
		t.Errorf("%d reads, want 2: none after the device was gone", n)
	}
	if n := d.Stats.RxErrors.Load(); n != 1 {
		t.Errorf("RxErrors = %d, want 1 (the passing error only)", n)
	}
}

// Failed reads in a row back off, so a driver stuck in an error costs no
// CPU; the first is retried at once.
func TestReadBackoff(t *testing.T) {
	want := []time.Duration{0, 0, time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}
	for n, w := range want {
		if got := readBackoff(n); got != w {
			t.Errorf("readBackoff(%d) = %v, want %v", n, got, w)
		}
	}
	for n := 2; n < 1000; n++ {
		if got, prev := readBackoff(n), readBackoff(n-1); got < prev || got > maxReadBackoff {
			t.Fatalf("readBackoff(%d) = %v after %v: want non-decreasing, at most %v", n, got, prev, maxReadBackoff)
		}
	}
	if got := readBackoff(1000); got != maxReadBackoff {
		t.Errorf("readBackoff(1000) = %v, want the cap %v", got, maxReadBackoff)
	}
}
