package stack

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gotapip/gotapip/internal/counters"
)

// Name resolution: Go's own resolver (net.Resolver with PreferGo), its
// queries sent through this stack's UDP and TCP to the stack's name
// servers, never the host's.
const (
	// MaxDNSServers bounds the name servers, as glibc's MAXNS.
	MaxDNSServers = 3
	// DNSPort is where name servers listen (RFC 1035).
	DNSPort = 53
	// LookupTimeout bounds a lookup whose context has no deadline. Within
	// it Go's resolver tries as often and waits as long as the host's
	// resolv.conf says (by default twice per server it lists, 5 s each).
	LookupTimeout = 10 * time.Second
)

// ErrNoDNSServers is returned by a lookup when the stack has no name
// server (SetDNSServers).
var ErrNoDNSServers = errors.New("no name server configured")

// DNSStats count what the stack's resolver sent and heard (stat prints
// them as DnsQueries, DnsMismatched, ...).
type DNSStats struct {
	Queries atomic.Uint64 // queries sent, over UDP or TCP
	Answers atomic.Uint64 // UDP answers that matched their query
	// Mismatched counts UDP answers whose ID or question is not the
	// query's: Go's resolver ignores them, as forgeries, and waits on.
	Mismatched atomic.Uint64
	Malformed  atomic.Uint64 // UDP answers that do not parse: ignored too
	Truncated  atomic.Uint64 // UDP answers with TC set: asked again over TCP
	// BadRecords counts matching UDP answers whose records do not parse:
	// Go's resolver fails the lookup on them.
	BadRecords atomic.Uint64
}

// Reset zeroes every counter.
func (s *DNSStats) Reset() { counters.Reset(s) }

// resolverState is the stack's name servers and counters.
type resolverState struct {
	mu      sync.Mutex
	servers []netip.Addr
	stats   DNSStats
}

// SetDNSServers sets the name servers lookups use, in order (what
// resolv.conf's nameserver lines say; the shell's resolv and tapip -dns
// set them, and a DHCP client sets them from its lease). At most
// MaxDNSServers IPv4 addresses; none clears the list.
func (s *Stack) SetDNSServers(servers []netip.Addr) error {
	if len(servers) > MaxDNSServers {
		return fmt.Errorf("%d name servers: at most %d", len(servers), MaxDNSServers)
	}
	for _, a := range servers {
		if !a.Is4() || a.IsUnspecified() || a.IsMulticast() {
			return fmt.Errorf("name server %v: want an IPv4 unicast address", a)
		}
	}
	s.dns.mu.Lock()
	s.dns.servers = slices.Clone(servers)
	s.dns.mu.Unlock()
	return nil
}

// DNSServers returns the name servers, in order.
func (s *Stack) DNSServers() []netip.Addr {
	s.dns.mu.Lock()
	defer s.dns.mu.Unlock()
	return slices.Clone(s.dns.servers)
}

// DNSStats are the resolver's counters.
func (s *Stack) DNSStats() *DNSStats { return &s.dns.stats }

// Resolver returns Go's resolver (PreferGo) dialing the stack's name
// servers through the stack: its Lookup methods resolve names as any Go
// program's would, over this stack's UDP (and TCP, for answers too long
// for a datagram). Go's resolver still reads /etc/hosts and takes its
// search list, attempts and timeout from /etc/resolv.conf; the servers
// it names are replaced by the stack's: each query goes to the next of
// DNSServers in turn, starting from the first for each Resolver. So the
// Server of its *net.DNSError names the host's server, not the one asked
// (LookupIPv4 puts that right).
func (s *Stack) Resolver() *net.Resolver { return s.resolver(nil, &lookupCounts{}) }

// lookupCounts is what one lookup's queries heard.
type lookupCounts struct {
	mismatched, malformed atomic.Int64
	refused               atomic.Int64 // queries that met port unreachable or a refused TCP connection
	truncated, badRecords atomic.Int64
	server                atomic.Uint32 // the last server asked, as 4 bytes
	rcode                 atomic.Int32  // the last matching UDP answer's RCODE + 1; 0: none came
}

// resolver is Resolver, sending to servers (nil: DNSServers) and counting
// what its lookups met in lc as well as in the stack's counters.
func (s *Stack) resolver(servers []netip.Addr, lc *lookupCounts) *net.Resolver {
	var mu sync.Mutex
	var tries int
	var last netip.Addr
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		list := servers
		if list == nil {
			list = s.DNSServers()
		}
		if len(list) == 0 {
			return nil, ErrNoDNSServers
		}
		mu.Lock()
		// TCP asks again where the truncated answer came from (the last
		// server: a lookup's A and AAAA queries, asked at once, may mix).
		if network == "udp" || !last.IsValid() {
			last = list[tries%len(list)]
			tries++
		}
		server := netip.AddrPortFrom(last, DNSPort)
		mu.Unlock()
		lc.server.Store(binary.BigEndian.Uint32(server.Addr().AsSlice()))
		c, err := s.DialContext(ctx, network, server.String())
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				lc.refused.Add(1)
			}
			return nil, err
		}
		s.dns.stats.Queries.Add(1)
		return watchDNS(c, &s.dns.stats, lc), nil
	}}
}

// LookupIPv4 resolves name to its IPv4 addresses (A records) through the
// stack, asking servers if given, else DNSServers. An IPv4 address is
// returned as it is. The name is taken as absolute ("host.sim" is
// "host.sim."): the stack has no search list, and the host's is not its
// own. Without a deadline in ctx, LookupTimeout bounds it. Errors are
// *LookupError.
func (s *Stack) LookupIPv4(ctx context.Context, name string, servers ...netip.Addr) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		return []netip.Addr{a}, nil
	}
	if len(servers) == 0 {
		servers = s.DNSServers()
	}
	if len(servers) == 0 {
		return nil, &LookupError{Name: name, Err: ErrNoDNSServers, RCode: -1}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, LookupTimeout)
		defer cancel()
	}
	var lc lookupCounts
	fqdn := name // the stack has no search list: every name is absolute
	if !strings.HasSuffix(fqdn, ".") {
		fqdn += "."
	}
	addrs, err := s.resolver(servers, &lc).LookupNetIP(ctx, "ip4", fqdn)
	if err != nil {
		le := &LookupError{Name: name, Err: err, RCode: int(lc.rcode.Load()) - 1,
			Mismatched: int(lc.mismatched.Load()), Malformed: int(lc.malformed.Load()), Refused: int(lc.refused.Load()),
			Truncated: int(lc.truncated.Load()), BadRecords: int(lc.badRecords.Load())}
		if a := lc.server.Load(); a != 0 {
			le.Server = netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, a)))
			var de *net.DNSError
			if errors.As(err, &de) { // Go names the server of the host's resolv.conf
				de.Server, de.Name = netip.AddrPortFrom(le.Server, DNSPort).String(), name
			}
		}
		return nil, le
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	return addrs, nil
}

// LookupError is a failed LookupIPv4: Go's *net.DNSError (errors.As finds
// it: IsNotFound, IsTimeout) or ErrNoDNSServers, and the answers the
// lookup ignored, which explain a timeout.
type LookupError struct {
	Name string
	Err  error
	// RCode is the response code of the last answer that matched the
	// question (RFC 1035 4.1.1: 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED), or -1
	// if none came.
	RCode      int
	Server     netip.Addr // the last server asked (invalid: none)
	Mismatched int        // answers whose ID or question did not match the query
	Malformed  int        // answers that did not parse
	Refused    int        // queries met by port unreachable or a refused TCP connection
	Truncated  int        // UDP answers with TC set (then asked over TCP)
	BadRecords int        // answers whose records do not parse (cut short, garbled)
}

func (e *LookupError) Error() string {
	msg := e.Err.Error()
	if e.Mismatched+e.Malformed > 0 {
		msg += fmt.Sprintf(" (%s)", e.Ignored())
	}
	return msg
}

// Ignored says which answers the lookup ignored, or "".
func (e *LookupError) Ignored() string {
	mismatched := fmt.Sprintf("%d %s that did not match the question", e.Mismatched, plural(e.Mismatched, "answer", "answers"))
	malformed := fmt.Sprintf("%d malformed %s", e.Malformed, plural(e.Malformed, "answer", "answers"))
	switch {
	case e.Mismatched > 0 && e.Malformed > 0:
		return "ignored " + mismatched + " and " + malformed
	case e.Mismatched > 0:
		return "ignored " + mismatched
	case e.Malformed > 0:
		return "ignored " + malformed
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (e *LookupError) Unwrap() error { return e.Err }
