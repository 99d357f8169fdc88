package dhcp

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/clock"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/udp"
)

// state is where a client is in RFC 2131's figure 5, plus the RFC 5227
// probe and the waits between tries.
type state int

const (
	stateSelecting  state = iota // DISCOVER sent, waiting for an OFFER
	stateRequesting              // REQUEST sent, waiting for the ACK
	stateProbing                 // ARP probes for the acked address
	stateBound
	stateRenewing  // T1 passed: REQUEST unicast to the server
	stateRebinding // T2 passed: REQUEST broadcast to any server
	stateWaiting   // after a DECLINE or when no server answered: then DISCOVER
	stateStopped
)

var stateNames = [...]string{"SELECTING", "REQUESTING", "PROBING", "BOUND", "RENEWING", "REBINDING", "INIT", "STOPPED"}

func (s state) String() string { return stateNames[s] }

// ErrNoOffers is returned by Start when no server answered.
var ErrNoOffers = errors.New("no DHCPOFFERS received")

// maxRestarts bounds how often an acquisition in the foreground starts
// over (after a NAK, a DECLINE, an unanswered REQUEST) before giving up.
const maxRestarts = 4

// inQueueLen bounds the messages waiting for one client.
const inQueueLen = 16

// received is a message the manager hands a client.
type received struct {
	msg        Message
	opts       Options
	kind, note string // instead: why the manager dropped one (told once)
}

// Client runs DHCP on one device: its goroutine owns the state below
// "loop-owned"; others read the lease through snapshot.
type Client struct {
	m     *Manager
	dev   *netdev.NetDev
	sock  *udp.Socket // the manager's, open while this client runs
	clock clock.Clock
	log   atomic.Pointer[func(string)] // the foreground's, then the background's

	in     chan received
	wake   chan struct{} // a timer fired
	stopc  chan stopRequest
	done   chan struct{}
	result chan error // the first bind or failure, for Start

	gen   atomic.Uint64 // the armed timer's generation; stale firings are ignored
	fired atomic.Uint64
	timer clock.Timer

	// loop-owned
	state      state
	xid        uint32
	begun      time.Time // the exchange's start (secs)
	attempt    int       // transmissions in this state
	restarts   int
	foreground bool // Start is waiting for the first bind
	server     netip.Addr
	offered    netip.Addr
	sentAt     time.Time // the last REQUEST: the lease runs from it (RFC 2131 4.4.1)
	probe      *arp.Probe
	probes     int
	lease      Lease // the lease being probed or held
	applied    applied
	explained  map[string]bool // drop reasons told in this exchange

	mu       sync.Mutex
	snapshot Lease
}

type stopRequest struct {
	release bool
	log     func(string)
	done    chan struct{}
}

func newClient(m *Manager, dev *netdev.NetDev, sock *udp.Socket, fg func(string)) *Client {
	c := &Client{m: m, dev: dev, sock: sock, clock: m.cfg.Clock, in: make(chan received, inQueueLen),
		wake: make(chan struct{}, 1), stopc: make(chan stopRequest), done: make(chan struct{}),
		result: make(chan error, 1), foreground: true}
	c.log.Store(&fg)
	return c
}

// logf prints one of dhclient's lines.
func (c *Client) logf(format string, args ...any) {
	if f := *c.log.Load(); f != nil {
		f(fmt.Sprintf(format, args...))
	}
}

// explain tells, once per exchange and kind, why a message was not used.
func (c *Client) explain(kind, format string, args ...any) {
	if c.explained[kind] {
		return
	}
	c.explained[kind] = true
	c.logf("dhclient: ignored a message on %s: "+format, append([]any{c.dev.Name()}, args...)...)
}

// tell has the client explain a message the manager dropped, unless
// its queue is full.
func (c *Client) tell(kind, note string) {
	select {
	case c.in <- received{kind: kind, note: note}:
	default:
	}
}

// arm makes the timer fire after d; an earlier arming is forgotten.
func (c *Client) arm(d time.Duration) {
	gen := c.gen.Add(1)
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = c.clock.AfterFunc(d, func() {
		c.fired.Store(gen)
		select {
		case c.wake <- struct{}{}:
		default:
		}
	})
}

// run is the client's goroutine.
func (c *Client) run() {
	defer close(c.done)
	c.startExchange()
	for c.state != stateStopped {
		select {
		case r := <-c.in:
			if r.note != "" {
				c.explain(r.kind, "%s", r.note)
			} else {
				c.receive(r.msg, r.opts)
			}
		case <-c.wake:
			if c.fired.Load() == c.gen.Load() {
				c.timeout()
			}
		case a := <-c.probeAnswers():
			c.conflict(a)
		case req := <-c.stopc:
			c.stop(req)
			close(req.done)
		}
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	c.closeProbe()
}

// probeAnswers is the running ARP probe's channel, or nil (never ready).
func (c *Client) probeAnswers() <-chan arp.Answer {
	if c.probe == nil {
		return nil
	}
	return c.probe.Answers()
}

// startExchange begins at INIT: a new transaction, a DISCOVER.
func (c *Client) startExchange() {
	c.state, c.attempt = stateSelecting, 0
	c.xid = c.m.rand.Uint32()
	c.begun = c.clock.Now()
	c.explained = map[string]bool{}
	c.sendDiscover()
}

// timeout acts on the armed timer in the current state.
func (c *Client) timeout() {
	if !c.m.hasDevice(c.dev) {
		c.logf("dhclient: %s: device gone, lease forgotten", c.dev.Name())
		c.finish(fmt.Errorf("dhclient: %s: the device was removed", c.dev.Name()))
		return
	}
	c.attempt++
	switch c.state {
	case stateSelecting:
		if c.attempt < c.m.cfg.Attempts {
			c.sendDiscover()
			return
		}
		c.logf("No DHCPOFFERS received.")
		c.giveUp(fmt.Errorf("dhclient: %s: %w after %d DHCPDISCOVERs (is a DHCP server on the link? debug udp shows the traffic)",
			c.dev.Name(), ErrNoOffers, c.attempt))
	case stateRequesting:
		if c.attempt < c.m.cfg.Attempts {
			c.sendRequest()
			return
		}
		c.logf("No DHCPACK received from %v.", c.server)
		c.restart(fmt.Errorf("dhclient: %s: no DHCPACK from %v", c.dev.Name(), c.server))
	case stateProbing:
		c.nextProbe()
	case stateWaiting:
		c.startExchange()
	case stateBound:
		c.state, c.attempt = stateRenewing, 0
		c.sendRenew()
	case stateRenewing, stateRebinding:
		c.renewTimeout()
	}
}

// restart goes back to INIT after a NAK, a DECLINE or an unanswered
// REQUEST; in the foreground only a few times, then Start fails with why.
func (c *Client) restart(why error) {
	c.restarts++
	if c.foreground && c.restarts > maxRestarts {
		c.giveUp(fmt.Errorf("%w (gave up after %d tries)", why, c.restarts))
		return
	}
	c.startExchange()
}

// giveUp ends a foreground acquisition with err; in the background (the
// lease ran out) it waits and tries again, as dhclient does.
func (c *Client) giveUp(err error) {
	if c.foreground {
		c.finish(err)
		return
	}
	c.state = stateWaiting
	c.arm(c.m.cfg.RetryWait)
}

// finish stops the client, telling Start why if it waits.
func (c *Client) finish(err error) {
	c.unconfigure()
	c.state = stateStopped
	c.report(err)
	c.m.forget(c)
}

// report hands Start the outcome of the first acquisition.
func (c *Client) report(err error) {
	if c.foreground {
		c.foreground = false
		c.result <- err
	}
}

// stop ends the client on request: dhclient -r or the shell exiting.
func (c *Client) stop(req stopRequest) {
	if req.log != nil {
		c.log.Store(&req.log)
	}
	if req.release && c.holdsLease() {
		c.sendRelease()
		c.awaitNeighbour(c.lease.Server)
	}
	c.finish(errors.New("dhclient: stopped"))
}

// holdsLease says whether the client has a lease a server knows of.
func (c *Client) holdsLease() bool {
	return c.state == stateBound || c.state == stateRenewing || c.state == stateRebinding
}

// publish makes the lease visible to Leases.
func (c *Client) publish() {
	c.mu.Lock()
	c.snapshot = c.lease
	c.snapshot.State = c.state.String()
	c.mu.Unlock()
}

// awaitNeighbour waits, a second at most, until the next hop to dst is
// resolved: a RELEASE waiting for ARP would be lost if the address it
// comes from went first (the ARP reply would find no address to match).
func (c *Client) awaitNeighbour(dst netip.Addr) {
	r, ok := c.m.stack.IP.Routes.Lookup(dst)
	if !ok {
		return
	}
	hop := r.NextHop(dst)
	for range 200 {
		if _, ok := c.m.stack.ARP.Lookup(hop); ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
