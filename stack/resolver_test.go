package stack_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/sim"
	"github.com/gotapip/gotapip/stack"
)

var labNames = map[string]netip.Addr{"example.lab.": netip.MustParseAddr("10.0.0.2"), "far.lab.": netip.MustParseAddr("10.9.9.9")}

// dnsPair is the pipe LAN with a name server for lab. on b, and a
// resolving through it.
func dnsPair(t *testing.T) (a, b *stack.Stack) {
	t.Helper()
	a, b, _, _ = stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	if err := sim.NewDNSServer("lab.", labNames).Serve(b); err != nil {
		t.Fatal(err)
	}
	if err := a.SetDNSServers([]netip.Addr{stacktest.AddrB.Addr()}); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestLookupThroughStack(t *testing.T) {
	a, _ := dnsPair(t)
	for _, name := range []string{"example.lab", "EXAMPLE.lab.", "far.lab"} {
		addrs, err := a.LookupIPv4(context.Background(), name)
		want := labNames[lowerFQDN(name)]
		if err != nil || !slices.Equal(addrs, []netip.Addr{want}) {
			t.Errorf("LookupIPv4(%q) = %v, %v; want [%v]", name, addrs, err, want)
		}
	}
	// Go's own API, as any program would use it.
	hosts, err := a.Resolver().LookupHost(context.Background(), "example.lab")
	if err != nil || !slices.Equal(hosts, []string{"10.0.0.2"}) {
		t.Errorf("Resolver().LookupHost = %v, %v; want [10.0.0.2]", hosts, err)
	}
	if q, ans := a.DNSStats().Queries.Load(), a.DNSStats().Answers.Load(); q < 4 || ans < 4 {
		t.Errorf("DnsQueries %d, DnsAnswers %d; want at least 4 each", q, ans)
	}
}

func lowerFQDN(name string) string {
	b := []byte(name)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	if len(b) > 0 && b[len(b)-1] != '.' {
		b = append(b, '.')
	}
	return string(b)
}

func TestLookupNotFound(t *testing.T) {
	a, _ := dnsPair(t)
	_, err := a.LookupIPv4(context.Background(), "nosuch.lab")
	var de *net.DNSError
	var le *stack.LookupError
	if !errors.As(err, &de) || !de.IsNotFound || !errors.As(err, &le) {
		t.Fatalf("nosuch.lab: %v, want a LookupError wrapping a not-found DNSError", err)
	}
}

func TestLookupNoServers(t *testing.T) {
	a, _, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	_, err := a.LookupIPv4(context.Background(), "example.lab")
	if !errors.Is(err, stack.ErrNoDNSServers) {
		t.Fatalf("lookup with no servers: %v, want ErrNoDNSServers", err)
	}
	if addrs, err := a.LookupIPv4(context.Background(), "10.1.2.3"); err != nil || addrs[0] != netip.MustParseAddr("10.1.2.3") {
		t.Errorf("an address needs no server: %v, %v", addrs, err)
	}
}

func TestSetDNSServersChecks(t *testing.T) {
	a, _, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	bad := [][]netip.Addr{
		{netip.MustParseAddr("::1")},
		{netip.MustParseAddr("0.0.0.0")},
		{netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("1.1.1.2"), netip.MustParseAddr("1.1.1.3"), netip.MustParseAddr("1.1.1.4")},
	}
	for _, servers := range bad {
		if err := a.SetDNSServers(servers); err == nil {
			t.Errorf("SetDNSServers(%v) accepted", servers)
		}
	}
	want := []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")}
	if err := a.SetDNSServers(want); err != nil || !slices.Equal(a.DNSServers(), want) {
		t.Errorf("DNSServers() = %v, %v; want %v", a.DNSServers(), err, want)
	}
}

// fakeDNS answers each query on s's UDP port 53 with what respond makes
// of it (nothing: no answer).
func fakeDNS(t *testing.T, s *stack.Stack, respond func(q dnsmessage.Message) [][]byte) {
	t.Helper()
	pc, err := s.ListenPacket("udp", ":53")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var q dnsmessage.Message
			if err != nil || q.Unpack(buf[:n]) != nil {
				continue
			}
			for _, b := range respond(q) {
				pc.WriteTo(b, from)
			}
		}
	}()
}

// answer is the right answer to q: example.lab's address.
func answer(t *testing.T, q dnsmessage.Message, edit func(*dnsmessage.Message)) []byte {
	m := dnsmessage.Message{Header: dnsmessage.Header{ID: q.ID, Response: true, Authoritative: true}, Questions: q.Questions,
		Answers: []dnsmessage.Resource{{Header: dnsmessage.ResourceHeader{Name: q.Questions[0].Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
			Body: &dnsmessage.AResource{A: [4]byte{10, 0, 0, 2}}}}}
	if edit != nil {
		edit(&m)
	}
	b, err := m.Pack()
	if err != nil {
		t.Error(err)
	}
	return b
}

// Answers whose ID or question is not the query's are ignored by Go's
// resolver (as forgeries): the lookup times out, and says why.
func TestLookupMismatchedAnswers(t *testing.T) {
	a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	a.SetDNSServers([]netip.Addr{stacktest.AddrB.Addr()})
	fakeDNS(t, b, func(q dnsmessage.Message) [][]byte {
		return [][]byte{
			answer(t, q, func(m *dnsmessage.Message) { m.ID++ }),
			answer(t, q, func(m *dnsmessage.Message) { m.Questions[0].Name = dnsmessage.MustNewName("other.lab.") }),
			answer(t, q, func(m *dnsmessage.Message) { m.Questions[0].Type = dnsmessage.TypeAAAA }),
			answer(t, q, nil)[:7], // not even a header
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := a.LookupIPv4(ctx, "example.lab")
	var le *stack.LookupError
	var de *net.DNSError
	if !errors.As(err, &le) || !errors.As(err, &de) || !de.IsTimeout {
		t.Fatalf("lookup with only wrong answers: %v, want a timeout", err)
	}
	if le.Mismatched < 3 || le.Malformed < 1 {
		t.Errorf("ignored %d mismatched and %d malformed answers, want at least 3 and 1: %v", le.Mismatched, le.Malformed, err)
	}
	if a.DNSStats().Mismatched.Load() < 3 || a.DNSStats().Malformed.Load() < 1 {
		t.Errorf("DnsMismatched %d, DnsMalformed %d", a.DNSStats().Mismatched.Load(), a.DNSStats().Malformed.Load())
	}
	if want := "did not match the question"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

// A silent server: the lookup ends at the context's deadline, not later.
func TestLookupSilentServer(t *testing.T) {
	a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	a.SetDNSServers([]netip.Addr{stacktest.AddrB.Addr()})
	fakeDNS(t, b, func(dnsmessage.Message) [][]byte { return nil })
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := a.LookupIPv4(ctx, "example.lab")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsTimeout {
		t.Fatalf("lookup with a silent server: %v, want a timeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v, want it bounded by the 500ms deadline", took)
	}
}

// An answer with TC set sends the resolver to TCP, where the whole answer
// comes (here from the sim's server, on the same stack).
func TestLookupTruncatedRetriesTCP(t *testing.T) {
	a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	a.SetDNSServers([]netip.Addr{stacktest.AddrB.Addr()})
	fakeDNS(t, b, func(q dnsmessage.Message) [][]byte {
		return [][]byte{answer(t, q, func(m *dnsmessage.Message) { m.Truncated, m.Answers = true, nil })}
	})
	ln, err := b.Listen("tcp", ":53")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go sim.NewDNSServer("lab.", map[string]netip.Addr{"example.lab.": netip.MustParseAddr("10.0.0.77")}).ServeTCP(ln)
	addrs, err := a.LookupIPv4(context.Background(), "example.lab")
	if err != nil || !slices.Equal(addrs, []netip.Addr{netip.MustParseAddr("10.0.0.77")}) {
		t.Fatalf("lookup = %v, %v; want 10.0.0.77 from the TCP server", addrs, err)
	}
	if a.DNSStats().Truncated.Load() == 0 {
		t.Error("DnsTruncated not counted")
	}
}

// An answer whose records are cut short is an error at once.
func TestLookupCutAnswer(t *testing.T) {
	a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	a.SetDNSServers([]netip.Addr{stacktest.AddrB.Addr()})
	fakeDNS(t, b, func(q dnsmessage.Message) [][]byte {
		full := answer(t, q, nil)
		return [][]byte{full[:len(full)-3]}
	})
	_, err := a.LookupIPv4(context.Background(), "example.lab")
	var de *net.DNSError
	if !errors.As(err, &de) || de.IsTimeout || de.IsNotFound {
		t.Fatalf("lookup of a cut answer: %v, want a DNSError that is neither timeout nor not-found", err)
	}
}
