// Package fakeclock is a time source for tests that moves only when told:
// timers driven by a stack's Tick (ARP aging, reassembly timeouts) and
// AfterFunc timers (TCP's) can then be tested to the millisecond without
// sleeping.
package fakeclock

import (
	"sort"
	"sync"
	"time"

	"github.com/gotapip/gotapip/clock"
)

var _ clock.Clock = (*Clock)(nil)

// Clock is a fake time source satisfying clock.Clock. It is safe for
// concurrent use.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*Timer // pending, in no order
}

// New returns a clock reading start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d, firing every timer whose deadline
// falls within it in deadline order, each with the clock reading its
// deadline, on the caller's goroutine. It returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		t := c.nextDueLocked(end)
		if t == nil {
			c.now = end
			c.mu.Unlock()
			return end
		}
		c.now = t.when
		c.removeLocked(t)
		c.mu.Unlock()
		t.f() // outside the lock: f may set new timers
	}
}

// Pending reports how many timers are waiting to fire.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// AfterFunc arranges for f to run when the clock is advanced by d or more.
func (c *Clock) AfterFunc(d time.Duration, f func()) clock.Timer {
	t := &Timer{c: c, f: f}
	t.Reset(d)
	return t
}

func (c *Clock) nextDueLocked(end time.Time) *Timer {
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].when.Before(c.timers[j].when) })
	if len(c.timers) == 0 || c.timers[0].when.After(end) {
		return nil
	}
	return c.timers[0]
}

func (c *Clock) removeLocked(t *Timer) bool {
	for i, p := range c.timers {
		if p == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Timer is a fake clock's pending AfterFunc call.
type Timer struct {
	c    *Clock
	f    func()
	when time.Time
}

// Stop cancels the call; it reports whether it was pending.
func (t *Timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.c.removeLocked(t)
}

// Reset makes the call happen d after the clock's current time.
func (t *Timer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.c.removeLocked(t)
	t.when = t.c.now.Add(d)
	t.c.timers = append(t.c.timers, t)
	return was
}
