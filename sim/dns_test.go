package sim_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/gotapip/gotapip/sim"
)

func TestSimNamesResolve(t *testing.T) {
	s := startSim(t)
	if err := s.SetDNSServers([]netip.Addr{sim.RouterAddr.Addr()}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"host.sim": "10.0.0.2", "router.sim": "10.0.0.254", "far.sim": "10.0.1.2"} {
		addrs, err := s.LookupIPv4(context.Background(), name)
		if err != nil || !slices.Equal(addrs, []netip.Addr{netip.MustParseAddr(want)}) {
			t.Errorf("%s: %v, %v; want %s", name, addrs, err, want)
		}
	}
	_, err := s.LookupIPv4(context.Background(), "nosuch.sim")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Errorf("nosuch.sim: %v, want not found", err)
	}
	if r := pingOnce(t, s, "10.0.1.2"); r.Err != nil {
		t.Errorf("far.sim's address does not answer ping: %v", r.Err)
	}
}

// query packs a query for name and type.
func query(t *testing.T, id uint16, opcode dnsmessage.OpCode, qs ...dnsmessage.Question) []byte {
	t.Helper()
	m := dnsmessage.Message{Header: dnsmessage.Header{ID: id, OpCode: opcode, RecursionDesired: true}, Questions: qs}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func question(name string, typ dnsmessage.Type) dnsmessage.Question {
	return dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET}
}

func TestDNSServerAnswers(t *testing.T) {
	d := sim.NewDNSServer(sim.Zone, sim.Names)
	cases := []struct {
		name    string
		query   []byte
		limit   int
		rcode   dnsmessage.RCode
		answers int
		tc      bool
	}{
		{"A record", query(t, 1, 0, question("host.sim.", dnsmessage.TypeA)), 512, dnsmessage.RCodeSuccess, 1, false},
		{"name in any case", query(t, 2, 0, question("HOST.Sim.", dnsmessage.TypeA)), 512, dnsmessage.RCodeSuccess, 1, false},
		{"no AAAA: empty answer", query(t, 3, 0, question("host.sim.", dnsmessage.TypeAAAA)), 512, dnsmessage.RCodeSuccess, 0, false},
		{"no such name", query(t, 4, 0, question("nosuch.sim.", dnsmessage.TypeA)), 512, dnsmessage.RCodeNameError, 0, false},
		{"outside the zone", query(t, 5, 0, question("example.com.", dnsmessage.TypeA)), 512, dnsmessage.RCodeRefused, 0, false},
		{"two questions", query(t, 6, 0, question("host.sim.", dnsmessage.TypeA), question("far.sim.", dnsmessage.TypeA)), 512, dnsmessage.RCodeFormatError, 0, false},
		{"no question", query(t, 7, 0), 512, dnsmessage.RCodeFormatError, 0, false},
		{"not a query (opcode 2)", query(t, 8, 2, question("host.sim.", dnsmessage.TypeA)), 512, dnsmessage.RCodeNotImplemented, 0, false},
		{"answer too long: TC", query(t, 9, 0, question("host.sim.", dnsmessage.TypeA)), 40, dnsmessage.RCodeSuccess, 0, true},
		{"question cut short", query(t, 10, 0, question("host.sim.", dnsmessage.TypeA))[:20], 512, dnsmessage.RCodeFormatError, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, ok := d.Answer(c.query, c.limit)
			if !ok {
				t.Fatal("no answer")
			}
			var m dnsmessage.Message
			if err := m.Unpack(b); err != nil {
				t.Fatal(err)
			}
			var q dnsmessage.Message
			q.Unpack(c.query)
			if !m.Response || m.ID != q.ID || m.RCode != c.rcode || len(m.Answers) != c.answers || m.Truncated != c.tc {
				t.Errorf("answer %+v, want id %d rcode %v, %d answers, TC %v", m.Header, q.ID, c.rcode, c.answers, c.tc)
			}
		})
	}
	for name, msg := range map[string][]byte{
		"short of a header": {1, 2, 3},
		"an answer": func() []byte {
			b, _ := d.Answer(query(t, 1, 0, question("host.sim.", dnsmessage.TypeA)), 512)
			return b
		}(),
	} {
		if _, ok := d.Answer(msg, 512); ok {
			t.Errorf("%s: answered, want silence", name)
		}
	}
}

// FuzzDNSServerAnswer feeds the sim's name server any datagram: it
// answers or stays silent, never panics, and what it answers parses, is
// an answer, and fits the limit.
func FuzzDNSServerAnswer(f *testing.F) {
	d := sim.NewDNSServer(sim.Zone, sim.Names)
	for _, q := range [][]byte{
		queryBytes(f, dnsmessage.Question{Name: dnsmessage.MustNewName("host.sim."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}),
		queryBytes(f, dnsmessage.Question{Name: dnsmessage.MustNewName("x.example."), Type: dnsmessage.TypeMX, Class: dnsmessage.ClassINET}),
		{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12}, // a name pointing at itself
		{},
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query []byte) {
		b, ok := d.Answer(query, 512)
		if !ok {
			return
		}
		var m dnsmessage.Message
		if err := m.Unpack(b); err != nil || !m.Response || len(b) > 512 {
			t.Fatalf("answer %x to %x: %v, response %v, %d bytes", b, query, err, m.Response, len(b))
		}
	})
}

func queryBytes(f *testing.F, q dnsmessage.Question) []byte {
	m := dnsmessage.Message{Header: dnsmessage.Header{ID: 7, RecursionDesired: true}, Questions: []dnsmessage.Question{q}}
	b, err := m.Pack()
	if err != nil {
		f.Fatal(err)
	}
	return b
}
