package tcp

import (
	"net/netip"
	"slices"
	"time"
)

// ConnInfo is one row of the socket table, with the internals ss -i
// prints.
type ConnInfo struct {
	State         State
	Local, Remote netip.AddrPort // Remote is invalid for a listener
	RecvQ, SendQ  int            // unread bytes, unacknowledged and unsent bytes (a listener: accept queue, backlog)

	RTO, RTT, RTTVar time.Duration
	MinRTT           time.Duration // the smallest RTT over Linux's 5 minutes (RACK's, rack.go); 0: none yet
	Cwnd, Ssthresh   int           // in segments, as ss prints them
	MSS, RcvMSS      int
	SndWScale        uint8
	RcvWScale        uint8
	WScaleOK, SACK   bool
	Timestamps       bool
	Retransmits      int    // consecutive RTOs now
	Recovery         string // how losses are repaired: "sack" (RFC 6675) or "newreno" (RFC 6582)

	// Buffers (autotune.go): their sizes now, and the receiver's measure.
	RcvBuf, SndBuf int           // bytes of receive and send ring
	RcvSpace       int           // bytes the application read in the last measured round trip
	RcvRTT         time.Duration // the receiver's RTT estimate; 0: none yet
	// CongestionControl is the algorithm's Linux name ("cubic", "reno");
	// PacingRate is the rate Linux would pace at, in bytes per second
	// (tcpi_pacing_rate; 0 before an RTT sample): shown, not enforced.
	CongestionControl string
	PacingRate        uint64
	DeliveryRate      int64 // bytes per second, the latest delivery-rate sample kept (rate.go)
	Delivered         int   // segments (of MSS) the peer acknowledged or SACKed
	AppLimited        bool  // that sample was taken while the application was the limit
}

// InfiniteSsthresh is ConnInfo.Ssthresh before the first loss, as
// Linux's TCP_INFINITE_SSTHRESH (ss leaves it out).
const InfiniteSsthresh = 0x7fffffff

// Connections lists the listeners and connections, by local port and
// address, then peer.
func (p *Protocol) Connections() []ConnInfo {
	conns, ls := p.snapshot()
	out := make([]ConnInfo, 0, len(conns)+len(ls))
	for _, l := range ls {
		l.mu.Lock()
		out = append(out, ConnInfo{State: Listen, Local: l.addr, RecvQ: len(l.acceptq), SendQ: l.backlog})
		l.mu.Unlock()
	}
	for _, c := range conns {
		out = append(out, c.Info())
	}
	slices.SortFunc(out, func(a, b ConnInfo) int {
		if a.Local.Port() != b.Local.Port() {
			return int(a.Local.Port()) - int(b.Local.Port())
		}
		if x := a.Local.Addr().Compare(b.Local.Addr()); x != 0 {
			return x
		}
		return a.Remote.Compare(b.Remote)
	})
	return out
}

// Info is the connection's row of the socket table.
func (c *Conn) Info() ConnInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	mss := max(c.mss, 1)
	return ConnInfo{
		State: c.state, Local: c.local, Remote: c.remote,
		RecvQ: c.rcv.len(), SendQ: c.snd.len(),
		RTO: c.rtt.current(), RTT: c.rtt.srtt, RTTVar: c.rtt.rttvar, MinRTT: c.rack.minRTT,
		Cwnd: c.cc.cwnd / mss, Ssthresh: c.ssthreshSegments(),
		MSS: c.mss, RcvMSS: c.rcvMSS, SndWScale: c.sndWScale, RcvWScale: c.rcvWScale,
		WScaleOK: c.wsOK, SACK: c.sackOK, Timestamps: c.tsOK, Retransmits: c.retries,
		Recovery: c.recoveryName(), CongestionControl: c.cc.algo.name(),
		RcvBuf: c.rcv.cap(), SndBuf: c.snd.cap(), RcvSpace: c.rs.space, RcvRTT: c.rs.rtt,
		PacingRate:   pacingRate(c.cc.window, c.inFlight(), c.mss, c.rtt.srtt, c.p.cfg.Load()),
		DeliveryRate: c.rate.rate, Delivered: int((c.rate.delivered + int64(mss) - 1) / int64(mss)),
		AppLimited: c.rate.rateApp,
	}
}

// ssthreshSegments is ssthresh in segments, or InfiniteSsthresh.
func (c *Conn) ssthreshSegments() int {
	if c.cc.ssthresh >= infiniteSsthresh {
		return InfiniteSsthresh
	}
	return c.cc.ssthresh / max(c.mss, 1)
}
