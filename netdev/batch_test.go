package netdev

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// batchDriver reads a script of frames and batch ends (nil entries), then
// blocks until closed. It reports batch ends only if asked (BatchEnder).
type batchDriver struct {
	*fakeDriver
	mu     sync.Mutex
	script [][]byte
	asked  bool
}

func (b *batchDriver) EndBatches() { b.mu.Lock(); b.asked = true; b.mu.Unlock() }

func (b *batchDriver) ReadFrame(buf []byte) (int, error) {
	b.mu.Lock()
	if len(b.script) == 0 {
		b.mu.Unlock()
		return b.fakeDriver.ReadFrame(buf)
	}
	f := b.script[0]
	b.script = b.script[1:]
	asked := b.asked
	b.mu.Unlock()
	if f == nil {
		if !asked {
			return 0, fmt.Errorf("batch end reported without EndBatches")
		}
		return 0, ErrBatchEnd
	}
	return copy(buf, f), nil
}

// plainDriver hides batchDriver's EndBatches: a driver that cannot tell.
type plainDriver struct{ b *batchDriver }

func (p plainDriver) ReadFrame(buf []byte) (int, error) { return p.b.ReadFrame(buf) }
func (p plainDriver) WriteFrame(frame []byte) error     { return p.b.WriteFrame(frame) }
func (p plainDriver) Close() error                      { return p.b.Close() }
func (p plainDriver) Kind() string                      { return p.b.Kind() }

// runBatches feeds script through a device's poller and returns how many
// frames had been received at each batch end, once want ends were seen.
func runBatches(t *testing.T, drv Driver, want int) []int {
	t.Helper()
	received := 0
	var ends []int
	runPoller(t, drv, func(d *NetDev, demux *Demux, stop func()) {
		demux.Register(EtherTypeIPv4, func(p *Packet) { p.Free(); received++ })
		d.OnBatchEnd(func() { // on the poller goroutine, as the handler
			ends = append(ends, received)
			if len(ends) == want {
				stop()
			}
		})
	})
	return ends
}

// runPoller makes a device over drv, lets hook set it up (hook calls
// stop, once, when it has seen enough), runs its poller until then and
// closes it.
func runPoller(t *testing.T, drv Driver, hook func(d *NetDev, demux *Demux, stop func())) {
	t.Helper()
	demux := &Demux{}
	d, err := New(Config{Name: "veth0", MAC: macA}, drv, demux, NewPool())
	if err != nil {
		t.Fatal(err)
	}
	d.SetUp(true)
	done := make(chan struct{})
	hook(d, demux, func() { close(done) })
	d.Start()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the poller did not see what the test waits for in 10 s")
	}
	d.Close(true)
}

func frames(n int) [][]byte {
	var s [][]byte
	for range n {
		s = append(s, frameTo(macA, EtherTypeIPv4, "x"))
	}
	return s
}

// The poller ends a batch where the driver says no frame is ready, or
// at the bound, or (a driver that cannot tell) after every frame.
func TestPollerBatches(t *testing.T) {
	tests := []struct {
		name   string
		script [][]byte
		plain  bool
		want   []int
	}{
		{"driver ends", slices.Concat(frames(3), [][]byte{nil}, frames(1), [][]byte{nil}), false, []int{3, 4}},
		{"an end with no frame is no batch", slices.Concat([][]byte{nil}, frames(2), [][]byte{nil, nil}, frames(1), [][]byte{nil}), false, []int{2, 3}},
		{"bound", slices.Concat(frames(MaxBatchFrames+10), [][]byte{nil}), false, []int{MaxBatchFrames, MaxBatchFrames + 10}},
		{"driver cannot tell", frames(3), true, []int{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &batchDriver{fakeDriver: newFakeDriver(), script: tt.script}
			var drv Driver = b
			if tt.plain {
				drv = plainDriver{b}
			}
			got := runBatches(t, drv, len(tt.want))
			if !slices.Equal(got, tt.want) {
				t.Errorf("frames received at each batch end (-want +got):\n-%v\n+%v", tt.want, got)
			}
		})
	}
}
