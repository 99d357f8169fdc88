package stack

import (
	"slices"
	"time"
)

// CounterGroup is one layer's counters, for stat.
type CounterGroup struct {
	// Prefix goes before each counter's name to make the name nstat prints
	// (Ip + InReceives = IpInReceives; Ip + ReasmOKs = IpReasmOKs).
	// A device's counters go under its name (sim0.RxPackets): Linux keeps
	// those out of nstat, in ip -s link.
	Prefix string
	Stats  any // a pointer to a struct of atomic.Uint64 (see internal/counters)
}

// tickJob is one periodic job of the net timer.
type tickJob struct {
	name string
	run  func(now time.Time)
}

// RegisterCounters adds a protocol's counters to what stat prints under prefix
// (nstat's names: Tcp + ActiveOpens = TcpActiveOpens), after
// the groups registered before it. Stack.New registers the built-in
// layers' bottom-up; a protocol wired in later registers its own.
func (s *Stack) RegisterCounters(prefix string, stats any) {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	s.groups = append(s.groups[:len(s.groups):len(s.groups)], CounterGroup{prefix, stats}) // copy on write: readers keep theirs
}

// RegisterTick adds a periodic job to the net timer: Tick runs the jobs in
// the order they were registered. A job runs on the timer's goroutine and
// must not block.
func (s *Stack) RegisterTick(name string, job func(now time.Time)) {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	s.jobs = append(s.jobs[:len(s.jobs):len(s.jobs)], tickJob{name, job})
}

// CounterGroups lists every registered group of counters, then each
// device's.
func (s *Stack) CounterGroups() []CounterGroup {
	s.regMu.Lock()
	groups := s.groups
	s.regMu.Unlock()
	groups = slices.Clone(groups) // the caller's to keep
	for _, d := range s.Devices() {
		groups = append(groups, CounterGroup{d.Name() + ".", &d.Stats})
	}
	return groups
}

// Tick runs every periodic job once (ARP retries and aging, reassembly
// timeouts, and what protocols registered). The net timer calls it; tests
// with a fake clock call it directly.
func (s *Stack) Tick(now time.Time) {
	s.regMu.Lock()
	jobs := s.jobs
	s.regMu.Unlock()
	for _, j := range jobs {
		j.run(now)
	}
}
