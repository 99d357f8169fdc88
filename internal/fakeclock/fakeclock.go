// Package fakeclock is a time source for tests that moves only when told:
// timers driven by a stack's Tick (ARP aging, reassembly timeouts) can then
// be tested to the millisecond without sleeping.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a fake time source; its Now satisfies stack.Clock and
// arp.Config.Now. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock reading start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}
