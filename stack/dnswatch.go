package stack

import (
	"errors"
	"net"
	"strings"
	"syscall"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/gotapip/gotapip/udp"
)

// dnsWatch is a resolver's UDP connection to a name server, watched: it
// remembers the query written and checks each answer read against it, as
// Go's resolver does, to count (and later explain) the answers Go
// ignores in silence. Go tells UDP from TCP by net.PacketConn, which the
// embedded *udp.Conn keeps.
type dnsWatch struct {
	*udp.Conn
	stats *DNSStats
	lc    *lookupCounts
	id    uint16
	q     dnsmessage.Question
}

// watchDNS watches c if it is UDP; TCP answers Go checks and reports
// itself (an answer that does not match is an error at once there).
func watchDNS(c net.Conn, stats *DNSStats, lc *lookupCounts) net.Conn {
	uc, ok := c.(*udp.Conn)
	if !ok {
		return c
	}
	return &dnsWatch{Conn: uc, stats: stats, lc: lc}
}

func (w *dnsWatch) Write(b []byte) (int, error) {
	var p dnsmessage.Parser
	if h, err := p.Start(b); err == nil {
		if q, err := p.Question(); err == nil {
			w.id, w.q = h.ID, q
		}
	}
	return w.Conn.Write(b)
}

func (w *dnsWatch) Read(b []byte) (int, error) {
	n, err := w.Conn.Read(b)
	switch {
	case err == nil:
		w.check(b[:n])
	case errors.Is(err, syscall.ECONNREFUSED):
		w.lc.refused.Add(1)
	}
	return n, err
}

// check counts an answer as Go's resolver will take it: one whose header
// or question does not parse, or does not match the query, it ignores.
func (w *dnsWatch) check(b []byte) {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	var q dnsmessage.Question
	if err == nil {
		q, err = p.Question()
	}
	switch {
	case err != nil:
		w.stats.Malformed.Add(1)
		w.lc.malformed.Add(1)
	case !h.Response || h.ID != w.id || !sameQuestion(q, w.q):
		w.stats.Mismatched.Add(1)
		w.lc.mismatched.Add(1)
	default:
		w.stats.Answers.Add(1)
		w.lc.rcode.Store(int32(h.RCode) + 1)
		if h.Truncated {
			w.stats.Truncated.Add(1)
			w.lc.truncated.Add(1)
		}
		var m dnsmessage.Message
		if m.Unpack(b) != nil {
			w.stats.BadRecords.Add(1)
			w.lc.badRecords.Add(1)
		}
	}
}

// sameQuestion is Go's checkResponse on the question: type, class and
// name, the name's case aside.
func sameQuestion(a, b dnsmessage.Question) bool {
	return a.Type == b.Type && a.Class == b.Class && strings.EqualFold(a.Name.String(), b.Name.String())
}
