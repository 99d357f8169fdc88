package sim

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/gotapip/gotapip/stack"
)

// Zone is the simulated LAN's DNS domain; the router answers for it.
const Zone = "sim."

// Names are the simulated LAN's A records (the router serves them).
var Names = map[string]netip.Addr{
	"host.sim.":   HostAddr.Addr(),
	"router.sim.": RouterAddr.Addr(),
	"far.sim.":    FarHostAddr.Addr(),
}

// DNS server bounds: an answer over UDP longer than a classic datagram is
// cut to its header and question with TC set (RFC 1035 4.2.1), so the
// client asks again over TCP; a TCP client gets this long to ask.
const (
	maxUDPAnswer = 512
	tcpIdle      = 10 * time.Second
	maxTCPConns  = 16 // more wait in the listener's backlog
)

// DNSServer is a tiny authoritative name server (RFC 1035) for one zone:
// A records for its names, an empty answer for other types, NXDOMAIN for
// other names in the zone, REFUSED for names outside it. It answers over
// UDP and TCP (RFC 7766) on port 53.
type DNSServer struct {
	zone    string
	records map[string]netip.Addr // lower-case, fully qualified
}

// NewDNSServer makes a server for zone ("sim.") with records (fully
// qualified names, "host.sim.", to addresses).
func NewDNSServer(zone string, records map[string]netip.Addr) *DNSServer {
	d := &DNSServer{zone: strings.ToLower(zone), records: map[string]netip.Addr{}}
	for name, a := range records {
		d.records[strings.ToLower(name)] = a
	}
	return d
}

// Serve answers on s's port 53 over UDP and TCP until s closes.
func (d *DNSServer) Serve(s *stack.Stack) error {
	pc, err := s.ListenPacket("udp", ":53")
	if err != nil {
		return err
	}
	ln, err := s.Listen("tcp", ":53")
	if err != nil {
		pc.Close()
		return err
	}
	go d.ServeUDP(pc)
	go d.ServeTCP(ln)
	return nil
}

// ServeUDP answers each query datagram on pc until pc closes.
func (d *DNSServer) ServeUDP(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue // an ICMP error about an earlier answer
		}
		if ans, ok := d.Answer(buf[:n], maxUDPAnswer); ok {
			pc.WriteTo(ans, from)
		}
	}
}

// ServeTCP answers the queries of each connection, each framed by its
// two-byte length (RFC 1035 4.2.2), until ln closes.
func (d *DNSServer) ServeTCP(ln net.Listener) {
	slots := make(chan struct{}, maxTCPConns)
	for {
		slots <- struct{}{}
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			d.serveConn(c)
			<-slots
		}()
	}
}

func (d *DNSServer) serveConn(c net.Conn) {
	defer c.Close()
	var size [2]byte
	buf := make([]byte, 65535)
	for {
		c.SetDeadline(time.Now().Add(tcpIdle))
		if _, err := io.ReadFull(c, size[:]); err != nil {
			return
		}
		q := buf[:binary.BigEndian.Uint16(size[:])]
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		ans, ok := d.Answer(q, 65535)
		if !ok {
			return
		}
		if _, err := c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(ans)))); err != nil {
			return
		}
		if _, err := c.Write(ans); err != nil {
			return
		}
	}
}

// Answer builds the answer to query, at most limit bytes (cut to the
// question with TC set when longer). It reports false for what deserves
// no answer: a message too short for a header, or itself an answer.
func (d *DNSServer) Answer(query []byte, limit int) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil || h.Response {
		return nil, false
	}
	resp := dnsmessage.Message{Header: dnsmessage.Header{ID: h.ID, Response: true, OpCode: h.OpCode,
		RecursionDesired: h.RecursionDesired}}
	qs, err := p.AllQuestions()
	switch {
	case h.OpCode != 0:
		resp.RCode = dnsmessage.RCodeNotImplemented
	case err != nil || len(qs) != 1:
		resp.RCode = dnsmessage.RCodeFormatError
	default:
		resp.Questions = qs
		d.resolve(&resp, qs[0])
	}
	b, err := resp.Pack()
	if err == nil && len(b) > limit {
		resp.Answers, resp.Truncated = nil, true
		b, err = resp.Pack()
	}
	return b, err == nil
}

// resolve fills resp's answer to q.
func (d *DNSServer) resolve(resp *dnsmessage.Message, q dnsmessage.Question) {
	name := strings.ToLower(q.Name.String())
	if q.Class != dnsmessage.ClassINET || (name != d.zone && !strings.HasSuffix(name, "."+d.zone)) {
		resp.RCode = dnsmessage.RCodeRefused
		return
	}
	resp.Authoritative = true
	a, ok := d.records[name]
	switch {
	case !ok && name != d.zone:
		resp.RCode = dnsmessage.RCodeNameError
	case ok && q.Type == dnsmessage.TypeA:
		resp.Answers = []dnsmessage.Resource{{
			Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 300},
			Body:   &dnsmessage.AResource{A: a.As4()},
		}}
	}
}

// serveDNS runs the LAN's name server on its router.
func (l *LAN) serveDNS() error { return NewDNSServer(Zone, Names).Serve(l.Router) }
