//go:build linux

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/ip"
)

// The three kinds of request a run sends.
const (
	scICMPEcho  = "icmp-echo"  // ICMP echo request, reply from the target's stack
	scUDPEcho   = "udp-echo"   // UDP datagram to port 7, echoed back
	scUDPClosed = "udp-closed" // UDP datagram to port 9, ICMP port unreachable back
)

const (
	echoPort   = 7
	closedPort = 9
	payloadLen = 56 // ICMP data and UDP payload, as ping's default
	// recvWait bounds every wait for a reply, so the loop checks the clock,
	// the loss timeout and the stop flag at least this often.
	recvWait = 10 * time.Millisecond
	// Linux raw socket option: a bitmask of ICMP types NOT to deliver.
	solRaw     = 255
	icmpFilter = 1
)

// loadConfig is one closed-loop run.
type loadConfig struct {
	scenario    string
	dst         [4]byte
	window      int           // requests outstanding
	duration    time.Duration // sending time; the rate is replies within it
	lossTimeout time.Duration // a request unanswered this long is lost (and replaced)
	cpuPID      int           // stack process sampled for CPU, 0 for none
	stop        *atomic.Bool  // set on Ctrl-C
}

// runResult is what one run measured.
type runResult struct {
	Sent, Replies, Lost uint64
	Elapsed             time.Duration // from the first send to the end of the sending time
	RTTs                []uint32      // ns, one per reply (including the drain after the end)
	CPU0, CPU1          cpuSample
}

var errStopped = errors.New("interrupted")

// slot is one outstanding request: the counter it carries and when it left.
type slot struct {
	ctr  uint64
	sent time.Duration
	live bool
}

// conn is the sockets of a scenario: where requests go, where answers come.
type conn struct {
	send, recv int
	srcPort    uint16
	sa         unix.SockaddrInet4
}

func (c *conn) close() {
	unix.Close(c.send)
	if c.recv != c.send {
		unix.Close(c.recv)
	}
}

// openConn opens the sockets for scenario in namespace ns.
func openConn(ns, scenario string, dst [4]byte) (*conn, error) {
	c := &conn{send: -1, recv: -1}
	err := inNetns(ns, func() error {
		var err error
		switch scenario {
		case scICMPEcho:
			if c.send, err = rawICMP(1 << 0); err != nil { // echo replies only
				return err
			}
			c.recv = c.send
			c.sa = unix.SockaddrInet4{Addr: dst}
		case scUDPEcho, scUDPClosed:
			if c.send, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
				return fmt.Errorf("udp socket: %w", err)
			}
			if err = unix.Bind(c.send, &unix.SockaddrInet4{}); err != nil {
				return fmt.Errorf("udp bind: %w", err)
			}
			sa, err := unix.Getsockname(c.send)
			if err != nil {
				return err
			}
			c.srcPort = uint16(sa.(*unix.SockaddrInet4).Port)
			c.sa = unix.SockaddrInet4{Addr: dst, Port: echoPort}
			c.recv = c.send
			if scenario == scUDPClosed {
				c.sa.Port = closedPort
				if c.recv, err = rawICMP(1 << 3); err != nil { // destination unreachable only
					return err
				}
			}
		default:
			return fmt.Errorf("unknown scenario %q", scenario)
		}
		for _, fd := range []int{c.send, c.recv} {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 1<<20)
		}
		tv := unix.NsecToTimeval(recvWait.Nanoseconds())
		return unix.SetsockoptTimeval(c.recv, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	})
	if err != nil {
		if c.send >= 0 {
			c.close()
		}
		return nil, err
	}
	return c, nil
}

// rawICMP opens a raw ICMP socket that delivers only the types in want.
func rawICMP(want uint32) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		return -1, fmt.Errorf("raw icmp socket (needs root): %w", err)
	}
	if err := unix.SetsockoptInt(fd, solRaw, icmpFilter, int(^want)); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("ICMP_FILTER: %w", err)
	}
	return fd, nil
}

// generator runs closed loops over one conn.
type generator struct {
	cfg  loadConfig
	c    *conn
	id   uint16 // ICMP identifier
	ctr  uint64
	pkt  []byte
	buf  []byte
	rtts []uint32 // preallocated, reused by every run
}

func newGenerator(c *conn, maxReplies int) *generator {
	g := &generator{c: c, id: uint16(os.Getpid()), pkt: make([]byte, 8+payloadLen), buf: make([]byte, 2048)}
	g.rtts = make([]uint32, maxReplies)
	for i := range g.rtts { // fault the pages in now, not while measuring
		g.rtts[i] = 0
	}
	return g
}

// sendSlot sends the next request from slot i.
func (g *generator) sendSlot(slots []slot, i int, now time.Duration) error {
	g.ctr++
	slots[i] = slot{ctr: g.ctr, sent: now, live: true}
	var msg []byte
	if g.cfg.scenario == scICMPEcho {
		msg = g.pkt
		msg[0], msg[1] = 8, 0 // echo request
		binary.BigEndian.PutUint16(msg[2:], 0)
		binary.BigEndian.PutUint16(msg[4:], g.id)
		binary.BigEndian.PutUint16(msg[6:], uint16(g.ctr))
		binary.BigEndian.PutUint32(msg[8:], uint32(i))
		binary.BigEndian.PutUint64(msg[12:], g.ctr)
		binary.BigEndian.PutUint16(msg[2:], ip.Checksum(msg, 0))
	} else {
		msg = g.pkt[8:]
		binary.BigEndian.PutUint32(msg, uint32(i))
		binary.BigEndian.PutUint64(msg[4:], g.ctr)
	}
	for {
		err := unix.Sendto(g.c.send, msg, 0, &g.c.sa)
		if err == unix.EINTR {
			continue
		}
		return err
	}
}

// match parses an answer and returns the slot and counter it answers.
func (g *generator) match(b []byte) (int, uint64, bool) {
	var data []byte
	switch g.cfg.scenario {
	case scUDPEcho:
		data = b
	case scICMPEcho:
		icmp, ok := skipIPv4(b)
		if !ok || len(icmp) < 8 || icmp[0] != 0 || binary.BigEndian.Uint16(icmp[4:]) != g.id {
			return 0, 0, false
		}
		data = icmp[8:]
	case scUDPClosed:
		icmp, ok := skipIPv4(b)
		if !ok || len(icmp) < 8 || icmp[0] != 3 {
			return 0, 0, false
		}
		udp, ok := skipIPv4(icmp[8:])
		if !ok || len(udp) < 8 || binary.BigEndian.Uint16(udp) != g.c.srcPort || binary.BigEndian.Uint16(udp[2:]) != closedPort {
			return 0, 0, false
		}
		data = udp[8:]
	}
	if len(data) < 12 {
		return 0, 0, false
	}
	return int(binary.BigEndian.Uint32(data)), binary.BigEndian.Uint64(data[4:]), true
}

// skipIPv4 returns what follows the IPv4 header at the start of b.
func skipIPv4(b []byte) ([]byte, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return nil, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl {
		return nil, false
	}
	return b[ihl:], true
}

// run is one closed loop: window requests outstanding, each answer (or
// loss) replaced by a new request until the duration is over, then a drain
// of at most the loss timeout. It runs on a locked OS thread, with blocking
// system calls that never wait longer than recvWait.
func (g *generator) run(cfg loadConfig) (runResult, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	g.cfg = cfg
	var r runResult
	slots := make([]slot, cfg.window)
	nrtt := 0
	outstanding := 0
	scanEvery := min(cfg.lossTimeout/4, recvWait)
	var err error
	if r.CPU0, err = sampleCPU(cfg.cpuPID); err != nil {
		return r, err
	}
	base := time.Now()
	for i := range slots {
		if err := g.sendSlot(slots, i, time.Since(base)); err != nil {
			return r, fmt.Errorf("send: %w", err)
		}
		r.Sent++
		outstanding++
	}
	var lastScan time.Duration
	draining := false
	for {
		if cfg.stop.Load() {
			return r, errStopped
		}
		now := time.Since(base)
		if !draining && now >= cfg.duration {
			draining = true
			r.Elapsed = now
			if r.CPU1, err = sampleCPU(cfg.cpuPID); err != nil {
				return r, err
			}
		}
		if draining && (outstanding == 0 || now >= r.Elapsed+cfg.lossTimeout) {
			r.Lost += uint64(outstanding)
			break
		}
		if now-lastScan >= scanEvery {
			lastScan = now
			for i := range slots {
				if s := &slots[i]; s.live && now-s.sent > cfg.lossTimeout {
					r.Lost++
					s.live = false
					outstanding--
					if !draining {
						if err := g.sendSlot(slots, i, now); err != nil {
							return r, fmt.Errorf("send: %w", err)
						}
						r.Sent++
						outstanding++
					}
				}
			}
		}
		n, _, err := unix.Recvfrom(g.c.recv, g.buf, 0)
		if err != nil {
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			return r, fmt.Errorf("recv: %w", err)
		}
		i, ctr, ok := g.match(g.buf[:n])
		if !ok || i >= len(slots) || !slots[i].live || slots[i].ctr != ctr {
			continue // not ours, or a duplicate, or late after being counted lost
		}
		now = time.Since(base)
		if nrtt < len(g.rtts) {
			g.rtts[nrtt] = uint32(min(now-slots[i].sent, time.Duration(^uint32(0))))
			nrtt++
		}
		slots[i].live = false
		outstanding--
		if !draining {
			r.Replies++
			if err := g.sendSlot(slots, i, now); err != nil {
				return r, fmt.Errorf("send: %w", err)
			}
			r.Sent++
			outstanding++
		}
	}
	r.RTTs = g.rtts[:nrtt]
	return r, nil
}
