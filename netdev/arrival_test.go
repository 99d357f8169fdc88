package netdev

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gotapip/gotapip/clock"
)

// tickClock's Now moves on a second at every call, so each time the
// poller reads it can be told apart.
type tickClock struct {
	clock.Real
	mu  sync.Mutex
	now time.Time
}

func (c *tickClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// The poller stamps each frame with when the driver last had none ready
// (Packet.ArrivedAfter): a frame read before the first batch end is not
// stamped; the frames of a batch carry the time the batch before it
// ended, the first reading of the clock and then the second. A driver
// that cannot tell stamps nothing, nor a device without a clock.
func TestPollerStampsArrival(t *testing.T) {
	start := time.Unix(1000, 0)
	script := slices.Concat(frames(1), [][]byte{nil}, frames(2), [][]byte{nil}, frames(1), [][]byte{nil})
	tests := []struct {
		name    string
		plain   bool
		noClock bool
		want    []time.Time
	}{
		{"batch ends", false, false, []time.Time{{}, start.Add(time.Second), start.Add(time.Second), start.Add(2 * time.Second)}},
		{"driver cannot tell", true, false, []time.Time{{}, {}, {}, {}}},
		{"no clock", false, true, []time.Time{{}, {}, {}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &batchDriver{fakeDriver: newFakeDriver(), script: slices.Clone(script)}
			var drv Driver = b
			if tt.plain {
				drv = plainDriver{b}
			}
			got := arrivals(t, drv, !tt.noClock, start, len(tt.want))
			if !slices.EqualFunc(got, tt.want, time.Time.Equal) {
				t.Errorf("frames stamped %v, want %v", got, tt.want)
			}
		})
	}
}

// arrivals runs drv's frames through a device's poller (with a tickClock
// from start if clocked) and returns the first n frames' ArrivedAfter.
func arrivals(t *testing.T, drv Driver, clocked bool, start time.Time, n int) []time.Time {
	t.Helper()
	var got []time.Time
	runPoller(t, drv, func(d *NetDev, demux *Demux, stop func()) {
		if clocked {
			d.SetClock(&tickClock{now: start})
		}
		demux.Register(EtherTypeIPv4, func(p *Packet) { // on the poller goroutine
			got = append(got, p.ArrivedAfter)
			p.Free()
			if len(got) == n {
				stop()
			}
		})
	})
	return got
}
