// Package clock is the stack's time source: the time of day and one-shot
// timers. Every layer that keeps deadlines (ARP, reassembly, TCP's
// retransmission, delayed-ACK, persist, keepalive and TIME-WAIT timers)
// takes a Clock, so in-process tests pass a fake one
// (internal/fakeclock) and fire those deadlines without sleeping.
package clock

import "time"

// Clock tells the time and runs functions after a delay.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f on its own goroutine once d has passed, as
	// time.AfterFunc does. f must not assume it runs on any particular
	// goroutine, and may find its timer already stopped or reset.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop cancels the call; it reports whether the call was still pending.
	Stop() bool
	// Reset makes the call happen d from now (again, if it already ran);
	// it reports whether the call was still pending.
	Reset(d time.Duration) bool
}

// Real is the wall clock: time.Now and time.AfterFunc.
type Real struct{}

var _ Clock = Real{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
