package fakeclock

import (
	"testing"
	"time"
)

func TestClockMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want %v", got, start)
	}
	if got, want := c.Advance(1500*time.Millisecond), start.Add(1500*time.Millisecond); !got.Equal(want) {
		t.Fatalf("Advance returned %v, want %v", got, want)
	}
	if got, want := c.Now(), start.Add(1500*time.Millisecond); !got.Equal(want) {
		t.Fatalf("Now() after Advance = %v, want %v", got, want)
	}
}

func TestAfterFuncFiresInDeadlineOrderDuringAdvance(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(start)
	var fired []time.Duration
	record := func() { fired = append(fired, c.Now().Sub(start)) }
	c.AfterFunc(300*time.Millisecond, record)
	c.AfterFunc(100*time.Millisecond, func() {
		record()
		c.AfterFunc(50*time.Millisecond, record) // set from a callback: fires in the same Advance
	})
	stopped := c.AfterFunc(200*time.Millisecond, record)
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	c.Advance(250 * time.Millisecond)
	want := []time.Duration{100 * time.Millisecond, 150 * time.Millisecond}
	if len(fired) != len(want) || fired[0] != want[0] || fired[1] != want[1] {
		t.Fatalf("fired at %v, want %v", fired, want)
	}
	if got := c.Pending(); got != 1 {
		t.Fatalf("Pending() = %d, want 1 (the 300 ms timer)", got)
	}
	c.Advance(time.Second)
	if len(fired) != 3 || fired[2] != 300*time.Millisecond {
		t.Fatalf("fired at %v, want the third at 300ms", fired)
	}
}

func TestResetReschedulesFromNow(t *testing.T) {
	c := New(time.Unix(0, 0))
	n := 0
	tm := c.AfterFunc(time.Second, func() { n++ })
	c.Advance(900 * time.Millisecond)
	if !tm.Reset(time.Second) {
		t.Fatal("Reset of a pending timer reported false")
	}
	c.Advance(900 * time.Millisecond)
	if n != 0 {
		t.Fatalf("fired %d times before the reset deadline", n)
	}
	c.Advance(100 * time.Millisecond)
	if n != 1 {
		t.Fatalf("fired %d times, want 1", n)
	}
}
