package udp

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// MaxQueuedErrors bounds a socket's error queue: an error arriving when it
// is full is dropped (Linux bounds its error queue by the receive buffer).
const MaxQueuedErrors = 64

// SetRecvErrors switches the socket's error queue on or off, as Linux's
// IP_RECVERR socket option: while on, every ICMP error about a datagram
// the socket sent (time exceeded, fragmentation needed and the
// unreachables; to any destination, connected or not) is queued, with its
// reporter and arrival time, for RecvError. This is what traceroute needs:
// without it an unconnected socket hears no ICMP errors and a connected
// one only the hard ones. Receives of data are unchanged. Switching it off
// discards what is queued.
func (s *Socket) SetRecvErrors(on bool) {
	s.recvErrors.Store(on)
	if !on {
		s.errq.clear()
	}
}

// RecvError waits for the oldest queued ICMP error (see SetRecvErrors) and
// returns it, as recvmsg(2) with MSG_ERRQUEUE. It returns early when ctx
// ends (ctx.Err()), at the read deadline (os.ErrDeadlineExceeded), or when
// the socket is closed (net.ErrClosed).
func (s *Socket) RecvError(ctx context.Context) (*ICMPError, error) {
	var timeout <-chan time.Time
	if dl := s.readDeadline.Load(); dl != 0 {
		t := time.NewTimer(time.Until(time.Unix(0, dl)))
		defer t.Stop()
		timeout = t.C
	}
	for {
		if s.closed.Load() {
			return nil, s.errClosed("recv error")
		}
		if e := s.errq.get(); e != nil {
			return e, nil
		}
		select {
		case <-s.errq.ready:
		case <-s.done:
		case <-timeout:
			if e := s.errq.get(); e != nil {
				return e, nil
			}
			return nil, fmt.Errorf("udp: recv error on %v: %w", s.LocalAddr(), os.ErrDeadlineExceeded)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// SetTTL sets the time to live of the datagrams the socket sends (Linux's
// IP_TTL); 0 means the default (64).
func (s *Socket) SetTTL(ttl uint8) { s.ttl.Store(uint32(ttl)) }

// errQueue is a socket's bounded FIFO of ICMP errors (Linux's
// sk_error_queue).
type errQueue struct {
	mu    sync.Mutex
	errs  []*ICMPError
	drops uint64
	ready chan struct{} // room for one wake-up, as recvQueue's
}

func (q *errQueue) init() { q.ready = make(chan struct{}, 1) }

func (q *errQueue) put(e *ICMPError) {
	q.mu.Lock()
	if len(q.errs) >= MaxQueuedErrors {
		q.drops++
		q.mu.Unlock()
		return
	}
	q.errs = append(q.errs, e)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *errQueue) get() *ICMPError {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.errs) == 0 {
		return nil
	}
	e := q.errs[0]
	q.errs = q.errs[1:]
	if len(q.errs) == 0 {
		q.errs = nil
	} else {
		select { // another reader may be waiting
		case q.ready <- struct{}{}:
		default:
		}
	}
	return e
}

func (q *errQueue) clear() {
	q.mu.Lock()
	q.errs = nil
	q.mu.Unlock()
}
