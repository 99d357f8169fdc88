//go:build linux

package tap

import (
	"errors"
	"fmt"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// Queues is a multi-queue TAP (IFF_MULTI_QUEUE): one device, one file
// descriptor per queue. The kernel spreads the frames it sends to the
// device over the queues by flow hash, and remembers which queue each flow
// last wrote on. It implements netdev.MultiQueue, so the device runs one
// poller per queue.
type Queues struct {
	q []*TAP
}

var _ netdev.MultiQueue = (*Queues)(nil)

// MaxQueues bounds OpenQueues (the kernel's limit is 256).
const MaxQueues = 16

// OpenQueues creates the multi-queue TAP device name with n queues, or
// attaches n queues to it if it exists (it must then be multi-queue
// itself). Each water.New with MultiQueue set attaches one more queue to
// the device of that name.
func OpenQueues(name string, n int) (*Queues, error) {
	if n < 1 || n > MaxQueues {
		return nil, fmt.Errorf("tap %s: %d queues: want 1 to %d", name, n, MaxQueues)
	}
	m := &Queues{}
	for i := 0; i < n; i++ {
		t, err := open(name, true)
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("queue %d: %w", i, err)
		}
		if i > 0 {
			t.existed = m.q[0].existed
		}
		m.q = append(m.q, t)
	}
	return m, nil
}

// Queues returns the queues, each a netdev.Driver.
func (m *Queues) Queues() []netdev.Driver {
	ds := make([]netdev.Driver, len(m.q))
	for i, t := range m.q {
		ds[i] = t
	}
	return ds
}

func (m *Queues) Name() string  { return m.q[0].name }
func (m *Queues) Existed() bool { return m.q[0].existed }
func (m *Queues) Kind() string  { return "tap" }

// SetBusyPoll sets every queue's busy poll (see TAP.SetBusyPoll).
func (m *Queues) SetBusyPoll(d time.Duration) {
	for _, t := range m.q {
		t.SetBusyPoll(d)
	}
}

// ReadFrame reads from queue 0; NetDev reads each queue itself.
func (m *Queues) ReadFrame(buf []byte) (int, error) { return m.q[0].ReadFrame(buf) }

// WriteFrame writes on queue 0; NetDev picks a queue itself.
func (m *Queues) WriteFrame(frame []byte) error { return m.q[0].WriteFrame(frame) }

// Close closes every queue; the kernel removes a non-persistent device
// when the last one goes.
func (m *Queues) Close() error {
	var errs []error
	for _, t := range m.q {
		errs = append(errs, t.Close())
	}
	return errors.Join(errs...)
}
