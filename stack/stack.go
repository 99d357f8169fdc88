package stack

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/clock"
	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/tcp"
	"github.com/gotapip/gotapip/udp"
)

var _ ip.Resolver = (*arp.Cache)(nil)

// Clock tells the time and runs timers (clock.Clock); tests inject a fake
// one (internal/fakeclock).
type Clock = clock.Clock

// Config configures a stack; the zero value is usable.
type Config struct {
	Clock        Clock         // default: the real clock
	TickInterval time.Duration // net timer period; default 100 ms. Negative: no timer goroutine (tests call Tick)
	ARP          arp.Config
	TCP          *tcp.Config // default: tcp.DefaultConfig(), Linux's
}

// Stack is one host: its devices and protocol layers.
type Stack struct {
	Pool *netdev.Pool
	ARP  *arp.Cache
	IP   *ip.Layer
	ICMP *icmp.Protocol
	// Tracer is shared by every layer and device: the debug command's tap.
	Tracer *netdev.Tracer
	UDP    *udp.Protocol
	TCP    *tcp.Protocol

	clock Clock
	demux netdev.Demux

	mu   sync.Mutex
	devs []*netdev.NetDev

	dns      resolverState                // name servers and the resolver's counters (resolver.go)
	noticeFn atomic.Pointer[func(string)] // SetNotice
	regMu    sync.Mutex                   // guards the registrations (copy on write)
	groups   []CounterGroup               // stat's groups, bottom-up
	jobs     []tickJob                    // Tick's periodic jobs

	batchJobs atomic.Pointer[[]batchJob] // the pollers' batch-end jobs (batch.go)

	stopTimer chan struct{}
	timerDone chan struct{}
	closeOnce sync.Once
}

// New builds a stack with a loopback device lo (127.0.0.1/8) and starts its
// net timer.
func New(cfg Config) *Stack {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.ARP.Now == nil {
		cfg.ARP.Now = cfg.Clock.Now
	}
	s := &Stack{Pool: netdev.NewPool(), clock: cfg.Clock}
	s.ARP = arp.NewCache(cfg.ARP, s.Pool)
	s.IP = ip.NewLayer(s.Pool, s.ARP)
	s.ICMP = icmp.New(s.IP, s.Pool)

	s.Tracer = &netdev.Tracer{}
	s.ARP.Tracer, s.IP.Tracer, s.ICMP.Tracer = s.Tracer, s.Tracer, s.Tracer
	s.ICMP.Now = cfg.Clock.Now
	s.IP.Now = cfg.Clock.Now
	s.IP.SetErrorReporter(s.ICMP)
	s.ARP.Unresolved = func(p *netdev.Packet) { // ARP gave up: tell the sender
		s.IP.ReportError(p, ip.HostUnreachable, 0)
		p.Free()
	}

	s.demux.Register(netdev.EtherTypeARP, s.ARP.Input)
	s.demux.Register(netdev.EtherTypeIPv4, s.IP.Input)
	s.IP.Register(ip.ProtoICMP, s.ICMP.Input)
	s.UDP = udp.New(s.IP, s.Pool)
	s.UDP.Tracer = s.Tracer
	s.IP.Register(ip.ProtoUDP, s.UDP.Input)
	s.IP.RegisterErrorHandler(ip.ProtoUDP, s.UDP.HandleError)
	tcfg := tcp.DefaultConfig()
	if cfg.TCP != nil {
		tcfg = *cfg.TCP
	}
	s.TCP = tcp.New(s.IP, s.Pool, cfg.Clock, tcfg)
	s.IP.Register(ip.ProtoTCP, s.TCP.Input)
	s.IP.RegisterErrorHandler(ip.ProtoTCP, s.TCP.HandleError)
	s.TCP.SetTraceGate(s.Tracer)
	s.TCP.SetTrace(s.traceTCP)
	s.TCP.SetBatchACKs(true) // one ACK per batch: the pollers call BatchEnd
	s.RegisterBatchEnd("tcp acks", s.TCP.BatchEnd)

	s.RegisterCounters("Arp", &s.ARP.Stats)
	s.RegisterCounters("Ip", &s.IP.Stats)
	s.RegisterCounters("Ip", &s.IP.Reasm.Stats) // nstat's names: IpReasmOKs, IpFragCreates
	s.RegisterCounters("Ip", &s.IP.FragStats)
	s.RegisterCounters("Icmp", &s.ICMP.Stats)
	s.RegisterCounters("Udp", &s.UDP.Stats)
	s.RegisterCounters("Tcp", &s.TCP.Stats)
	s.RegisterCounters("Dns", &s.dns.stats)
	s.RegisterTick("arp", s.ARP.Tick)
	s.RegisterTick("ip reassembly", s.expireReassembly)

	_, err := s.AddDevice(netdev.NewLoopback(), netdev.Config{Name: "lo", MTU: netdev.LoopbackMTU, Flags: netdev.FlagLoopback},
		netip.MustParsePrefix("127.0.0.1/8"))
	if err != nil {
		panic("stack: loopback: " + err.Error()) // fixed arguments: cannot fail
	}
	s.startTimer(cfg.TickInterval)
	return s
}

func (s *Stack) startTimer(interval time.Duration) {
	s.stopTimer = make(chan struct{})
	s.timerDone = make(chan struct{})
	if interval < 0 {
		close(s.timerDone)
		return
	}
	if interval == 0 {
		interval = 100 * time.Millisecond
	}
	go func() {
		defer close(s.timerDone)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stopTimer:
				return
			case <-t.C:
				s.Tick(s.clock.Now())
			}
		}
	}()
}

// expireReassembly drops the datagrams whose fragments took too long and
// tells their senders (RFC 792: time exceeded, code 1).
func (s *Stack) expireReassembly(now time.Time) {
	s.IP.Reasm.Expire(now, func(first *netdev.Packet) {
		s.IP.ReportError(first, ip.ReasmTimeout, 0)
		first.Free()
	})
}

// Now is the stack's clock.
func (s *Stack) Now() time.Time { return s.clock.Now() }

// Close closes every UDP socket, stops the timer and every device (closing
// their drivers).
func (s *Stack) Close() {
	s.closeOnce.Do(func() {
		s.UDP.CloseAll()
		s.TCP.CloseAll()
		close(s.stopTimer)
		<-s.timerDone
		s.mu.Lock()
		devs := s.devs
		s.devs = nil
		s.mu.Unlock()
		for _, d := range devs {
			d.Close(true)
		}
		s.IP.Reasm.Flush()
	})
}

// errf builds an error prefixed by the device name.
func errf(dev string, format string, args ...any) error {
	return fmt.Errorf(dev+": "+format, args...)
}

// Demux is the EtherType table the stack's devices share; tests that build
// a NetDev by hand pass it to netdev.New.
func (s *Stack) Demux() *netdev.Demux { return &s.demux }
