package arp

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// The send path reads the cache without its mutex (see entry). These tests
// race it against everything that changes the cache; run them with -race
// and a high -count.

// TestResolveRacesReply: senders resolve a new neighbour while its reply
// arrives. Exactly one request goes out however many race to create the
// entry, and every packet goes to the neighbour's MAC (never a zero one) or
// is dropped from the full queue and counted: none stays queued.
func TestResolveRacesReply(t *testing.T) {
	h := newHarness(t, Config{})
	const senders, each = 4, 50
	for round := range 20 {
		addr := netip.AddrFrom4([4]byte{10, 0, 0, byte(10 + round)})
		mac := netdev.MAC{2, 0, 0, 0, 0, byte(10 + round)}
		reply := Fields{Op: OpReply, SenderMAC: mac, SenderIP: addr, TargetMAC: macA, TargetIP: ipA}
		drops := h.cache.Stats.QueueDrops.Load()
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				for range each {
					if err := h.resolve(addr, "x"); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Go(func() {
			runtime.Gosched()
			h.receive(macA, mac, reply)
		})
		wg.Wait()
		h.receive(macA, mac, reply) // in case the first came before the entry: it is not created by a reply
		ip, req, other := h.count(mac, addr, netdev.BroadcastMAC)
		dropped := int(h.cache.Stats.QueueDrops.Load() - drops)
		if ip+dropped != senders*each || req != 1 || other != 0 {
			t.Errorf("round %d: %d sent to %v + %d dropped of %d packets, %d requests, %d other frames; want all, 1 and 0",
				round, ip, mac, dropped, senders*each, req, other)
		}
		if n := h.cache.Queued(); n != 0 {
			t.Fatalf("round %d: %d packets still queued on a resolved entry", round, n)
		}
	}
}

// TestStaleProbeOnce: senders released at once onto a stale entry move it
// to PROBE once and send one probe between them, stale period after stale
// period; and once it is PROBE, one probe goes out per RetryInterval, from
// the timer, which runs while they send.
func TestStaleProbeOnce(t *testing.T) {
	h := newHarness(t, Config{})
	h.learn(macB, ipB)
	reply := Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA}
	const senders, each = 4, 25
	send := func(timer func()) {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				<-start
				for range each {
					h.resolve(ipB, "s")
				}
			})
		}
		if timer != nil {
			wg.Go(func() { <-start; timer() })
		}
		close(start)
		wg.Wait()
	}
	check := func(what string) {
		t.Helper()
		if ip, req, other := h.count(macB, ipB, macB); ip != senders*each || req != 1 || other != 0 {
			t.Fatalf("%s: %d packets, %d probes to %v, %d other frames; want %d, 1 and 0", what, ip, req, macB, other, senders*each)
		}
		h.wantState(ipB, Probing)
	}
	const periods = 300
	for round := range periods {
		h.receive(macA, macB, reply) // reachable again
		h.tick(30 * time.Second)     // and stale
		h.wantState(ipB, Stale)
		send(nil)
		check(fmt.Sprintf("stale period %d", round))
	}
	for round := range 2 { // UnicastProbes is 3: the sender's, then the timer's two
		send(func() { h.tick(time.Second) })
		check(fmt.Sprintf("RetryInterval %d of PROBE", round+1))
	}
	if n := h.cache.Stats.OutRequests.Load(); n != periods+2 {
		t.Errorf("OutRequests = %d, want %d", n, periods+2)
	}
}

// TestResolveDuringChurn: senders resolve a few neighbours in a small cache
// while they are learned (moving MACs), evicted, deleted, flushed, made
// permanent, aged, probed and failed. A packet for a neighbour only ever goes to a MAC that
// neighbour had, never to a zero MAC or another's; and the harness checks
// that no packet leaked (queued on an entry that left the map).
func TestResolveDuringChurn(t *testing.T) {
	h := newHarness(t, Config{MaxEntries: 8, RetryInterval: 100 * time.Millisecond, Retries: 2, UnicastProbes: 2})
	h.cache.Unresolved = func(p *netdev.Packet) { p.Free() }
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, 0, byte(20 + i)}) }
	// macOf is a MAC neighbour i may have: its last byte says whose it is.
	macOf := func(i, gen int) netdev.MAC { return netdev.MAC{2, 0, 0, 0, byte(gen), byte(20 + i)} }
	const neighbours = 16
	var wg sync.WaitGroup
	for g := range 4 { // senders; a packet's payload says whom it is for
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 400 {
				i := rng.IntN(neighbours)
				h.resolve(addr(i), string(rune(20+i)))
				if mac, ok := h.cache.Lookup(addr(i)); ok && mac[5] != byte(20+i) {
					t.Errorf("Lookup(%v) = %v, another neighbour's MAC", addr(i), mac)
				}
			}
		})
	}
	wg.Go(func() { // the neighbours answer, from MACs that change
		rng := rand.New(rand.NewPCG(9, 2))
		for n := range 600 {
			i := rng.IntN(neighbours)
			op, tpa := OpReply, ipA
			if n%3 == 0 {
				op = OpRequest // creates the entry
			}
			h.receive(macA, macOf(i, n%5), Fields{Op: op, SenderMAC: macOf(i, n%5), SenderIP: addr(i), TargetMAC: macA, TargetIP: tpa})
		}
	})
	wg.Go(func() { // the shell and the timer
		rng := rand.New(rand.NewPCG(7, 3))
		for range 300 {
			i := rng.IntN(neighbours)
			switch rng.IntN(6) {
			case 0, 1:
				h.tick(time.Duration(rng.IntN(400)) * time.Millisecond)
			case 2:
				h.cache.Delete(addr(i))
			case 3:
				h.cache.Flush(nil)
			case 4:
				h.cache.AddPermanent(h.dev, addr(i), macOf(i, 9))
			case 5:
				h.tick(40 * time.Second) // reachable entries go stale
			}
			runtime.Gosched()
		}
	})
	wg.Wait()
	for _, s := range h.sent() {
		if s.typ != netdev.EtherTypeIPv4 {
			continue
		}
		if s.dst.IsZero() || s.dst.IsMulticast() || s.dst[5] != s.payload[0] {
			t.Errorf("packet for 10.0.0.%d sent to %v", s.payload[0], s.dst)
		}
	}
	for i := range neighbours {
		h.cache.Delete(addr(i)) // permanent ones too, so the harness counts every packet
	}
}
