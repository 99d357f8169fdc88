package tcp

import (
	"sync"
	"time"
)

// waitOn blocks until ch closes or the deadline d passes (a net.Conn
// deadline: wall-clock time, as the interface says, not the stack's
// clock); it returns
// false on the deadline. mu is held on entry and on return, released
// while waiting.
func waitOn(mu *sync.Mutex, ch <-chan struct{}, d time.Time) bool {
	var timeout <-chan time.Time
	if !d.IsZero() {
		left := time.Until(d)
		if left <= 0 {
			return false
		}
		t := time.NewTimer(left)
		defer t.Stop()
		timeout = t.C
	}
	mu.Unlock()
	defer mu.Lock()
	select {
	case <-ch:
		return true
	case <-timeout:
		return false
	}
}

// expired reports whether d is set and past.
func expired(d time.Time) bool { return !d.IsZero() && !time.Now().Before(d) }
