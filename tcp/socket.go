package tcp

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

var _ net.Conn = (*Conn)(nil)

// opError wraps err as the net package's connections do: "read tcp
// 10.0.0.1:49152->10.0.0.2:80: connection reset by peer", with errors.Is
// matching the errno.
func (c *Conn) opError(op string, err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(op, errno)
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

func (c *Conn) LocalAddr() net.Addr  { return net.TCPAddrFromAddrPort(c.local) }
func (c *Conn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// Read reads received data in order; io.EOF after the peer's FIN.
func (c *Conn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch {
		case c.appClosed:
			return 0, c.opError("read", net.ErrClosed)
		case expired(c.readDeadline):
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		case c.rcv.len() > 0:
			if len(b) == 0 {
				return 0, nil
			}
			n := c.rcv.read(b)
			c.rcvSpaceAdjust()
			c.windowUpdate()
			return n, nil
		case c.finRcvd:
			return 0, io.EOF
		case c.err != nil:
			return 0, c.opError("read", c.err)
		case c.state == Closed:
			return 0, io.EOF
		case len(b) == 0:
			return 0, nil
		}
		if !waitOn(&c.mu, c.waitChan(), c.readDeadline) {
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		}
	}
}

// windowUpdate tells the peer about room a read made: at once when the
// window we last offered had shrunk to half the buffer or less and the
// read at least doubles it (Linux's __tcp_cleanup_rbuf; TCP-NOTES 3: a
// late update starves a fast sender), else with the next ACK. While the
// reader keeps up the offered window stays large and a read sends
// nothing: an update per read doubled the ACKs of a bulk receiver.
func (c *Conn) windowUpdate() {
	switch c.state {
	case Established, FinWait1, FinWait2:
	default:
		return
	}
	room := min(c.rcvWindow(), 0xffff<<c.rcvWScale) // what the window field can say
	offered := max(c.rcvAdv.Sub(c.rcvNxt), 0)
	if 2*offered <= c.rcv.cap() && room >= 2*offered && room-offered >= min(2*c.rcvMSS, c.rcv.cap()/2) {
		c.sendAck()
	}
}

// Write queues b for sending, blocking while the send buffer is full.
func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for {
		switch {
		case c.appClosed:
			return total, c.opError("write", net.ErrClosed)
		case expired(c.writeDeadline):
			return total, c.opError("write", os.ErrDeadlineExceeded)
		case c.err != nil:
			return total, c.opError("write", c.err)
		case c.finQueued || (c.state != Established && c.state != CloseWait):
			return total, c.opError("write", syscall.EPIPE)
		case total == len(b):
			return total, nil
		}
		n := c.snd.write(b[total:])
		total += n
		if n > 0 {
			c.output()
		}
		if total == len(b) {
			return total, nil
		}
		if c.growSendBuffer() {
			continue
		}
		if !waitOn(&c.mu, c.waitChan(), c.writeDeadline) {
			return total, c.opError("write", os.ErrDeadlineExceeded)
		}
	}
}

// growSendBuffer doubles a full send buffer while the congestion window
// could use more (twice the window, as Linux's tcp_sndbuf_expand), up to
// tcp_wmem's max and within the stack's bound. Doubling, not growing to
// what the window wants: each growth copies the ring, and the window
// grows a little on every ACK (doc/performance.md, "Why the sender swung").
func (c *Conn) growSendBuffer() bool {
	size := c.snd.cap()
	maxSize := c.p.Config().Wmem[2]
	if min(2*max(c.cc.cwnd, c.maxSndWnd), maxSize) <= size {
		return false
	}
	n := min(2*size, maxSize)
	if !c.p.tryReserve(n - size) {
		return false
	}
	c.buffers += n - size
	c.snd.grow(n)
	return true
}

// Close closes the connection: a FIN after the queued data (FIN-WAIT-1
// or LAST-ACK), or a RST if received data was never read (RFC 2525 2.17,
// as Linux). Blocked calls return net.ErrClosed.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.appClosed {
		return c.opError("close", net.ErrClosed)
	}
	c.appClosed = true
	switch c.state {
	case Established, CloseWait, SynReceived:
		if c.rcv.len() > 0 {
			c.p.Stats.AbortOnClose.Add(1)
			c.sendReset()
			c.terminate()
			break
		}
		c.queueFIN()
	case SynSent:
		c.terminate()
	case FinWait2:
		c.armKeep(c.p.Config().FinTimeout)
	case Closed:
		c.freeBuffers()
	}
	c.notify()
	return nil
}

// CloseWrite half-closes: our FIN goes after the queued data; reads go on.
func (c *Conn) CloseWrite() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.appClosed {
		return c.opError("close", net.ErrClosed)
	}
	switch c.state {
	case Established, CloseWait:
		c.queueFIN()
	default:
		if c.err != nil {
			return c.opError("shutdown", c.err)
		}
	}
	return nil
}

// queueFIN puts our FIN after the buffered data and sends what it can.
func (c *Conn) queueFIN() {
	if c.finQueued {
		return
	}
	c.finQueued = true
	c.finSeq = c.sndBase.Add(c.snd.len())
	if c.state == CloseWait {
		c.setState(LastAck)
	} else {
		c.setState(FinWait1)
	}
	c.output()
}

// Abort resets the connection at once (SO_LINGER 0): RST to the peer,
// ECONNABORTED to blocked calls.
func (c *Conn) Abort() { c.abort(false) }

// abort is Abort; exiting sends the reset a peer accepts with no one left
// here to answer its challenge ACK (resetAtExit).
func (c *Conn) abort(exiting bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.appClosed = true
	if c.state == Closed {
		c.freeBuffers()
		return
	}
	switch {
	case c.state == SynSent || c.state == TimeWait:
	case exiting:
		c.resetAtExit()
	default:
		c.sendReset()
	}
	c.fail(syscall.ECONNABORTED)
}

func (c *Conn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDeadline, c.writeDeadline = t, t
	c.notify()
	return nil
}

func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDeadline = t
	c.notify()
	return nil
}

func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeDeadline = t
	c.notify()
	return nil
}

// SetNoDelay switches Nagle's algorithm off (true) or on (TCP_NODELAY).
func (c *Conn) SetNoDelay(on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noDelay = on
	if on {
		c.output()
	}
	return nil
}

// SetKeepAlive switches keepalive probes on or off (SO_KEEPALIVE; off by
// default, RFC 1122 4.2.3.6).
func (c *Conn) SetKeepAlive(on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keepAlive = on
	if on && (c.state == Established || c.state == CloseWait) {
		c.armKeep(c.keepIdle())
	}
	return nil
}

// SetKeepAlivePeriod sets the idle time before the first probe and the
// interval between probes, as *net.TCPConn's does (TCP_KEEPIDLE and
// TCP_KEEPINTVL); 0 goes back to the tunables.
func (c *Conn) SetKeepAlivePeriod(d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keepPeriod = max(d, 0)
	if c.keepAlive && (c.state == Established || c.state == CloseWait) {
		c.armKeep(c.keepIdle())
	}
	return nil
}

// keepIdle and keepIntvl are the keepalive times in force.
func (c *Conn) keepIdle() time.Duration {
	if c.keepPeriod > 0 {
		return c.keepPeriod
	}
	return c.p.Config().KeepaliveTime
}

func (c *Conn) keepIntvl() time.Duration {
	if c.keepPeriod > 0 {
		return c.keepPeriod
	}
	return c.p.Config().KeepaliveIntvl
}

// State is the connection's state now.
func (c *Conn) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}
