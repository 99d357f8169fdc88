package counters

import (
	"fmt"
	"sync/atomic"
	"testing"
)

type sample struct {
	InReceives atomic.Uint64
	name       string // skipped: not a counter
	Dropped    atomic.Uint64
	hidden     atomic.Uint64 // skipped: unexported
	Ratio      float64       // skipped: not a counter
	ByType     [4]atomic.Uint64
	Out        atomic.Uint64
}

func TestOf(t *testing.T) {
	var s sample
	s.InReceives.Store(1)
	s.Dropped.Store(2)
	s.Out.Store(3)
	got := Of(&s)
	var names []string
	for _, c := range got {
		names = append(names, fmt.Sprintf("%s=%d", c.Name, c.Value.Load()))
	}
	want := "[InReceives=1 Dropped=2 Out=3]"
	if fmt.Sprint(names) != want {
		t.Errorf("Of (-want +got):\n-%s\n+%v", want, names)
	}
	// The values point into the struct.
	got[1].Value.Add(10)
	if s.Dropped.Load() != 12 {
		t.Errorf("Dropped = %d after adding through Of, want 12", s.Dropped.Load())
	}
}

func TestOfNotAStructPointer(t *testing.T) {
	var s sample
	var n atomic.Uint64
	for _, v := range []any{nil, s.name, 42, &n, []int{1}, (*sample)(nil)} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Of(%T) panicked: %v", v, r)
				}
			}()
			if got := Of(v); got != nil {
				t.Errorf("Of(%T) = %v, want nil", v, got)
			}
		}()
	}
}

func TestReset(t *testing.T) {
	var s sample
	s.InReceives.Store(5)
	s.Out.Store(7)
	s.hidden.Store(9)
	s.ByType[2].Store(1)
	Reset(&s)
	if s.InReceives.Load() != 0 || s.Out.Load() != 0 {
		t.Errorf("Reset left InReceives %d Out %d, want 0 0", s.InReceives.Load(), s.Out.Load())
	}
	// Only exported scalar counters are walked; the caller resets the rest.
	if s.hidden.Load() != 9 || s.ByType[2].Load() != 1 {
		t.Errorf("Reset touched fields it does not walk: hidden %d ByType[2] %d", s.hidden.Load(), s.ByType[2].Load())
	}
}

// A tag gives a counter its whole nstat name, or marks a gauge, which
// Reset leaves.
func TestTags(t *testing.T) {
	var st struct {
		Plain atomic.Uint64
		Ext   atomic.Uint64 `nstat:"TcpExtTCPThing"`
		Level atomic.Uint64 `nstat:",gauge"`
	}
	got := Of(&st)
	want := []Counter{
		{Name: "Plain", Value: &st.Plain},
		{Name: "TcpExtTCPThing", Value: &st.Ext, Full: true},
		{Name: "Level", Value: &st.Level, Gauge: true},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Of: %+v, want %+v", got, want)
	}
	for _, c := range got {
		c.Value.Store(5)
	}
	Reset(&st)
	if st.Plain.Load() != 0 || st.Ext.Load() != 0 || st.Level.Load() != 5 {
		t.Errorf("after Reset: %d %d %d, want 0 0 5", st.Plain.Load(), st.Ext.Load(), st.Level.Load())
	}
}
