package tcp

import (
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// A connection's history: its state after each ACK it processed (the
// figures ss -i prints, over time) and a log of the segments it sent and
// received, which tcptrace and Wireshark draw their graphs from (shell
// tcpgraph). Linux keeps no such thing; it is ours, for teaching.
//
// Recording is off until SetHistory switches it on; it then applies to
// connections established from then on. A connection records into two
// fixed rings allocated when it is established (the oldest entries are
// overwritten), so the data path does not allocate; while recording is
// off the cost per segment is one nil check of Conn.hist. The stack keeps
// the histories of at most MaxHistories connections, live or closed: a
// new one replaces the oldest closed one, and is not recorded when all of
// them belong to live connections.

// The bounds of recording.
const (
	DefaultHistoryEntries = 8192    // entries per ring (samples; segments)
	MinHistoryEntries     = 16      // the smallest ring SetHistory takes
	MaxHistoryEntries     = 1 << 16 // the largest
	MaxHistories          = 16      // connections whose history is kept
)

// Sample is a connection's state right after it processed an ACK (or a
// retransmission timeout). At is the time since the history began.
type Sample struct {
	At                time.Duration
	Una, Nxt, Max     Seq // SND.UNA, SND.NXT, and the highest sequence number sent
	Cwnd, Ssthresh    int // bytes; Ssthresh is huge before the first loss
	SRTT, RTTVar, RTO time.Duration
	InFlight          int // bytes sent and not acknowledged
	SndWnd            int // the peer's window, scaled
	State             State
	Recovery          bool // in fast recovery (SACK or NewReno)
	Backoff           int  // consecutive timeouts: nonzero after an RTO
}

// SegmentRecord is one segment the connection sent (Out) or received,
// with its window scaled and its SACK blocks. Rexmit marks a segment we
// sent again.
type SegmentRecord struct {
	At      time.Duration
	Out     bool
	Rexmit  bool
	Flags   Flags
	Seq     Seq
	Len     int // data bytes
	Ack     Seq // valid when Flags has FlagACK
	Window  int
	NumSACK int
	SACK    [MaxSACKBlocks]SACKBlock
}

// End is the sequence number after the segment (its data, SYN and FIN).
func (s SegmentRecord) End() Seq {
	n := s.Len
	if s.Flags&FlagSYN != 0 {
		n++
	}
	if s.Flags&FlagFIN != 0 {
		n++
	}
	return s.Seq.Add(n)
}

// History is a copy of one connection's history. Histories leaves
// Samples and Segments empty; the totals count every entry ever
// recorded, the overwritten ones too.
type History struct {
	Local, Remote netip.AddrPort
	Began         time.Time // when the connection was established
	Span          time.Duration
	Live          bool
	State         State
	ISS, IRS      Seq
	MSS           int
	Algorithm     string // the congestion control
	Samples       []Sample
	Segments      []SegmentRecord
	TotalSamples  uint64
	TotalSegments uint64
	RingEntries   int
}

// historyRing keeps the last len(buf) values added.
type historyRing[T any] struct {
	buf   []T
	next  int
	total uint64
}

func (r *historyRing[T]) add(v T) {
	r.buf[r.next] = v
	r.next++
	if r.next == len(r.buf) {
		r.next = 0
	}
	r.total++
}

// ordered returns a copy of the values kept, oldest first.
func (r *historyRing[T]) ordered() []T {
	if r.total < uint64(len(r.buf)) {
		return append([]T(nil), r.buf[:r.next]...)
	}
	return append(append(make([]T, 0, len(r.buf)), r.buf[r.next:]...), r.buf[:r.next]...)
}

// history is what one connection recorded. Its owner writes under mu
// (and the connection's lock); readers copy under mu.
type history struct {
	mu       sync.Mutex
	began    time.Time
	ended    time.Time // zero while the connection lives
	info     History   // the fixed fields, and State
	samples  historyRing[Sample]
	segments historyRing[SegmentRecord]
}

// histories is the stack's set of histories, oldest first.
type histories struct {
	mu          sync.Mutex
	entries     int // per ring for new connections; 0: off
	list        []*history
	notRecorded uint64 // connections not recorded: every slot held by a live one
}

// SetHistory makes connections established from now on record entries
// samples and entries segments each; 0 stops recording (the histories
// kept stay readable).
func (p *Protocol) SetHistory(entries int) error {
	if entries != 0 && (entries < MinHistoryEntries || entries > MaxHistoryEntries) {
		return fmt.Errorf("%d entries: want 0 (off) or %d to %d", entries, MinHistoryEntries, MaxHistoryEntries)
	}
	p.hist.mu.Lock()
	p.hist.entries = entries
	p.hist.mu.Unlock()
	return nil
}

// HistoryEntries is the ring size new connections get; 0: not recording.
func (p *Protocol) HistoryEntries() int {
	p.hist.mu.Lock()
	defer p.hist.mu.Unlock()
	return p.hist.entries
}

// attach starts a history for c if recording is on and a slot is free.
func (hs *histories) attach(c *Conn, now time.Time) *history {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.entries == 0 {
		return nil
	}
	if len(hs.list) >= MaxHistories {
		i := 0
		for i < len(hs.list) && hs.list[i].isLive() {
			i++
		}
		if i == len(hs.list) {
			hs.notRecorded++
			return nil
		}
		hs.list = append(hs.list[:i], hs.list[i+1:]...)
	}
	h := &history{began: now}
	h.info = History{Local: c.local, Remote: c.remote, State: c.state, ISS: c.iss, IRS: c.irs, MSS: c.mss,
		Algorithm: c.congestionControl(), RingEntries: hs.entries}
	h.samples.buf = make([]Sample, hs.entries)
	h.segments.buf = make([]SegmentRecord, hs.entries)
	hs.list = append(hs.list, h)
	return h
}

func (h *history) isLive() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ended.IsZero()
}

// Histories lists the histories kept, oldest first, without their
// entries, and how many connections went unrecorded for want of a slot.
func (p *Protocol) Histories() ([]History, uint64) {
	p.hist.mu.Lock()
	list := append([]*history(nil), p.hist.list...)
	skipped := p.hist.notRecorded
	p.hist.mu.Unlock()
	out := make([]History, len(list))
	for i, h := range list {
		out[i] = h.copy(p.clock.Now(), false)
	}
	return out, skipped
}

// History returns the most recent history of the connection from local
// to remote, entries included.
func (p *Protocol) History(local, remote netip.AddrPort) (History, bool) {
	p.hist.mu.Lock()
	var found *history
	for _, h := range p.hist.list {
		if h.info.Local == local && h.info.Remote == remote {
			found = h
		}
	}
	p.hist.mu.Unlock()
	if found == nil {
		return History{}, false
	}
	return found.copy(p.clock.Now(), true), true
}

func (h *history) copy(now time.Time, entries bool) History {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.info
	out.Began, out.Live = h.began, h.ended.IsZero()
	if !out.Live {
		now = h.ended
	}
	out.Span = now.Sub(h.began)
	out.TotalSamples, out.TotalSegments = h.samples.total, h.segments.total
	if entries {
		out.Samples, out.Segments = h.samples.ordered(), h.segments.ordered()
	}
	return out
}
