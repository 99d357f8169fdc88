package ip

import (
	"bytes"
	"testing"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// Floods of datagrams that never complete must stay under the limits and
// must not stop a real datagram from being reassembled afterwards.
func TestReassembleFloodStaysUnderLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ReasmConfig
		frag func(id uint16) []byte
	}{
		{"tiny fragments, datagram cap", ReasmConfig{}, func(id uint16) []byte { return testFrag(id, nil, 8, 8, true) }},
		{"tiny fragments, memory cap", ReasmConfig{MaxDatagrams: 1 << 20}, func(id uint16) []byte { return testFrag(id, nil, 8, 8, true) }},
		{"far offsets", ReasmConfig{MaxDatagrams: 1 << 20}, func(id uint16) []byte { return testFrag(id, nil, 65000, 8, true) }},
		{"scattered pages", ReasmConfig{MaxDatagrams: 1 << 20, HighThresh: 256 << 10}, func(id uint16) []byte {
			return testFrag(id, nil, int(id%32)*reasmPageSize+reasmPageSize-8, 16, true)
		}},
		{"full fragments, small memory", ReasmConfig{HighThresh: 200 << 10, LowThresh: 100 << 10}, func(id uint16) []byte {
			return testFrag(id, nil, 1480, 1480, true)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := netdev.NewPool()
			r := NewReassembler(tc.cfg, pool)
			cfg := r.Config()
			for id := range 5000 {
				if addFragment(t, r, pool, tc.frag(uint16(id)), fakeNow) != nil {
					t.Fatal("an incomplete datagram was returned")
				}
				if held, n := r.BytesHeld(), r.Datagrams(); held > cfg.HighThresh || n > cfg.MaxDatagrams {
					t.Fatalf("after %d datagrams: %d bytes in %d datagrams, limits %d bytes, %d datagrams",
						id+1, held, n, cfg.HighThresh, cfg.MaxDatagrams)
				}
			}
			if r.Stats.ReasmFails.Load() == 0 {
				t.Errorf("nothing was evicted from a flood of 5000")
			}
			t.Logf("%d datagrams, %d bytes held, %d evicted", r.Datagrams(), r.BytesHeld(), r.Stats.ReasmFails.Load())
			orig := testDatagram(60000, nil, 40000) // ids above the flood's
			if got, _ := reassembleAll(t, r, pool, fragmentBytes(t, pool, orig, 1500)); len(got) != 1 || !bytes.Equal(got[0], orig) {
				t.Errorf("a real datagram was not reassembled after the flood")
			}
			r.Flush()
			checkEmpty(t, r, pool)
		})
	}
}

func TestReassembleEvictsOldestFirst(t *testing.T) {
	pool := netdev.NewPool()
	r := NewReassembler(ReasmConfig{MaxDatagrams: 3}, pool)
	for id := range 4 {
		addFragment(t, r, pool, testFrag(uint16(id), nil, 0, 8, true), fakeNow.Add(time.Duration(id)*time.Second))
	}
	// Datagram 0 went; 1 to 3 complete. (Completing 0 last, as it starts a
	// new datagram that would evict the oldest.)
	for id := 3; id >= 0; id-- {
		p := addFragment(t, r, pool, testFrag(uint16(id), nil, 8, 8, false), fakeNow.Add(5*time.Second))
		if (p != nil) != (id != 0) {
			t.Errorf("datagram %d: completed %v, want %v", id, p != nil, id != 0)
		}
		if p != nil {
			p.Free()
		}
	}
	r.Flush()
	checkEmpty(t, r, pool)
}

func TestReassembleTimeout(t *testing.T) {
	first := testFrag(7, testOptions, 0, 1480, true)
	for _, tc := range []struct {
		name      string
		frags     [][]byte
		at        []time.Duration // arrival of each fragment
		expire    time.Duration
		wantFirst bool
		wantLeft  int
	}{
		{"not yet", [][]byte{first}, []time.Duration{0}, 29 * time.Second, false, 1},
		{"with the first fragment", [][]byte{first}, []time.Duration{0}, 30 * time.Second, true, 0},
		{"first fragment arrived later", [][]byte{testFrag(7, nil, 2960, 8, false), first}, []time.Duration{0, 20 * time.Second}, 30 * time.Second, true, 0},
		{"without the first fragment", [][]byte{testFrag(7, nil, 1480, 8, false)}, []time.Duration{0}, time.Minute, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := netdev.NewPool()
			r := NewReassembler(ReasmConfig{}, pool)
			dev := &netdev.NetDev{}
			for i, f := range tc.frags {
				p := packetOf(t, pool, f)
				p.Dev = dev
				if r.Add(p, Header(p.Data()), fakeNow.Add(tc.at[i])) != nil {
					t.Fatal("reassembled")
				}
			}
			var got [][]byte
			r.Expire(fakeNow.Add(tc.expire), func(p *netdev.Packet) {
				if p.Dev != dev || !bytes.Equal(p.Network(), p.Data()) {
					t.Errorf("timed-out first fragment: Dev %p, network header not marked", p.Dev)
				}
				got = append(got, bytes.Clone(p.Data()))
				p.Free()
			})
			if tc.wantFirst != (len(got) == 1) || (len(got) == 1 && !bytes.Equal(got[0], first)) {
				t.Errorf("timedOut got %d packets, want the first fragment: %v", len(got), tc.wantFirst)
			}
			timeouts := uint64(1 - tc.wantLeft) // one datagram per case
			if r.Datagrams() != tc.wantLeft || r.Stats.ReasmTimeout.Load() != timeouts || r.Stats.ReasmFails.Load() != timeouts {
				t.Errorf("%d datagrams left, ReasmTimeout %d, ReasmFails %d; want %d, %d, %[4]d", r.Datagrams(),
					r.Stats.ReasmTimeout.Load(), r.Stats.ReasmFails.Load(), tc.wantLeft, timeouts)
			}
			r.Flush()
			checkEmpty(t, r, pool)
		})
	}
}

// The callback runs without the lock, so it can send, and the send can loop
// back into Add (loopback) without deadlock. Without a callback nothing leaks.
func TestExpireCallbackMayReenter(t *testing.T) {
	pool := netdev.NewPool()
	r := NewReassembler(ReasmConfig{Timeout: time.Second}, pool)
	addFragment(t, r, pool, testFrag(1, nil, 0, 8, true), fakeNow)
	addFragment(t, r, pool, testFrag(2, nil, 0, 8, true), fakeNow)
	calls := 0
	r.Expire(fakeNow.Add(time.Second), func(p *netdev.Packet) {
		calls++
		if r.Add(p, Header(p.Data()), fakeNow.Add(2*time.Second)) != nil {
			t.Error("reassembled")
		}
	})
	if calls != 2 || r.Datagrams() != 2 {
		t.Errorf("%d calls, %d datagrams; want 2, 2", calls, r.Datagrams())
	}
	r.Expire(fakeNow.Add(time.Hour), nil)
	if r.Stats.ReasmTimeout.Load() != 4 {
		t.Errorf("ReasmTimeout = %d, want 4", r.Stats.ReasmTimeout.Load())
	}
	checkEmpty(t, r, pool)
}

func TestReasmConfigDefaults(t *testing.T) {
	got := NewReassembler(ReasmConfig{HighThresh: 1000, LowThresh: 2000}, netdev.NewPool()).Config()
	want := ReasmConfig{Timeout: 30 * time.Second, HighThresh: 1000, LowThresh: 750, MaxDatagrams: 1024}
	if got != want {
		t.Errorf("Config() = %+v, want %+v", got, want)
	}
	if got := (ReasmConfig{}).withDefaults(); got.HighThresh != 4<<20 || got.LowThresh != 3<<20 {
		t.Errorf("default thresholds %d/%d, want 4 MiB/3 MiB", got.HighThresh, got.LowThresh)
	}
}
