//go:build linux

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
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
	flows       int           // flows the requests take turns on (see openConn)
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
// With several flows, request k goes out on flow k mod flows: UDP from
// sockets of their own (distinct source ports), ICMP from source addresses
// of their own (Linux's flow hash ignores the ICMP identifier; see
// doc/performance.md), chosen per message with IP_PKTINFO.
type conn struct {
	flows    int
	sends    []int    // one per flow (ICMP: one raw socket for all)
	recvs    []int    // what answers arrive on
	srcPorts []uint16 // UDP: each flow's source port
	oob      [][]byte // ICMP: each flow's IP_PKTINFO (nil for flow 0: the default source)
	sa       unix.SockaddrInet4
	pfds     []unix.PollFd // recvs, for waiting on several
	next     int           // the recv to try first
}

func (c *conn) close() {
	for _, fd := range c.sends {
		unix.Close(fd)
	}
	for _, fd := range c.recvs {
		if !slices.Contains(c.sends, fd) {
			unix.Close(fd)
		}
	}
}

// flowSource is the source address of ICMP flow f >= 1 on the subnet of
// dst: .100+f, added to the client's interface by addFlowSources.
func flowSource(dst [4]byte, f int) [4]byte { return [4]byte{dst[0], dst[1], dst[2], byte(100 + f)} }

// openConn opens the sockets for scenario in namespace ns.
func openConn(ns, scenario string, dst [4]byte, flows int) (*conn, error) {
	c := &conn{flows: flows}
	err := inNetns(ns, func() error {
		switch scenario {
		case scICMPEcho:
			fd, err := rawICMP(1 << 0) // echo replies only
			if err != nil {
				return err
			}
			c.sends, c.recvs = []int{fd}, []int{fd}
			c.sa = unix.SockaddrInet4{Addr: dst}
			c.oob = make([][]byte, flows)
			for f := 1; f < flows; f++ {
				c.oob[f] = unix.PktInfo4(&unix.Inet4Pktinfo{Spec_dst: flowSource(dst, f)})
			}
		case scUDPEcho, scUDPClosed:
			for range flows {
				fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					return fmt.Errorf("udp socket: %w", err)
				}
				c.sends = append(c.sends, fd)
				if err = unix.Bind(fd, &unix.SockaddrInet4{}); err != nil {
					return fmt.Errorf("udp bind: %w", err)
				}
				sa, err := unix.Getsockname(fd)
				if err != nil {
					return err
				}
				c.srcPorts = append(c.srcPorts, uint16(sa.(*unix.SockaddrInet4).Port))
			}
			c.sa = unix.SockaddrInet4{Addr: dst, Port: echoPort}
			c.recvs = c.sends
			if scenario == scUDPClosed {
				c.sa.Port = closedPort
				fd, err := rawICMP(1 << 3) // destination unreachable only
				if err != nil {
					return err
				}
				c.recvs = []int{fd}
			}
		default:
			return fmt.Errorf("unknown scenario %q", scenario)
		}
		for _, fd := range append(slices.Clone(c.sends), c.recvs...) {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 1<<20)
		}
		tv := unix.NsecToTimeval(recvWait.Nanoseconds())
		for _, fd := range c.recvs {
			if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
				return err
			}
			c.pfds = append(c.pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
		}
		return nil
	})
	if err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// recv reads the next answer. On one socket it blocks for at most recvWait
// (SO_RCVTIMEO), as before flows existed; on several it tries each without
// blocking, round robin, and waits in poll(2) for at most recvWait when all
// are empty. Both return EAGAIN when the wait ran out.
func (c *conn) recv(buf []byte) (int, error) {
	if len(c.recvs) == 1 {
		n, _, err := unix.Recvfrom(c.recvs[0], buf, 0)
		return n, err
	}
	for range 2 {
		for range c.recvs {
			fd := c.recvs[c.next]
			c.next = (c.next + 1) % len(c.recvs)
			n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
			if err != unix.EAGAIN {
				return n, err
			}
		}
		if _, err := unix.Poll(c.pfds, int(recvWait.Milliseconds())); err != nil {
			return 0, err
		}
	}
	return 0, unix.EAGAIN
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
	f := int(g.ctr % uint64(g.c.flows))
	for {
		var err error
		switch {
		case g.cfg.scenario == scICMPEcho && g.c.oob[f] != nil:
			_, err = unix.SendmsgN(g.c.sends[0], msg, g.c.oob[f], &g.c.sa, 0)
		case g.cfg.scenario == scICMPEcho:
			err = unix.Sendto(g.c.sends[0], msg, 0, &g.c.sa)
		default:
			err = unix.Sendto(g.c.sends[f], msg, 0, &g.c.sa)
		}
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
		if !ok || len(udp) < 8 || !slices.Contains(g.c.srcPorts, binary.BigEndian.Uint16(udp)) || binary.BigEndian.Uint16(udp[2:]) != closedPort {
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
		n, err := g.c.recv(g.buf)
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
