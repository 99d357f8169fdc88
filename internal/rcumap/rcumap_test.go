package rcumap

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

type intHash struct{}

func (intHash) Hash(k int) uint64 { return uint64(k) }

// sameHash puts every key in one chain.
type sameHash struct{}

func (sameHash) Hash(int) uint64 { return 7 }

// TestAgainstMap runs random stores and deletes against a Go map, through
// growth and shrinking, and compares Load, Len and All after each.
func TestAgainstMap(t *testing.T) {
	t.Run("spread", func(t *testing.T) { againstMap[intHash](t) })
	t.Run("one chain", func(t *testing.T) { againstMap[sameHash](t) })
}

func againstMap[H Hasher[int]](t *testing.T) {
	var m Map[int, string, H]
	want := map[int]string{}
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(step int) {
		t.Helper()
		if m.Len() != len(want) {
			t.Fatalf("step %d: Len() = %d, want %d", step, m.Len(), len(want))
		}
		got := maps.Collect(m.All())
		if !maps.Equal(got, want) {
			t.Fatalf("step %d: All() (-want +got):\n-%v\n+%v", step, want, got)
		}
		for k := -1; k < 600; k++ {
			v, ok := m.Load(k)
			if w, wok := want[k]; v != w || ok != wok {
				t.Fatalf("step %d: Load(%d) = %q, %v; want %q, %v", step, k, v, ok, w, wok)
			}
		}
	}
	check(0)
	for step := range 3000 {
		k := rng.IntN(500)
		switch {
		case step < 1500 && rng.IntN(4) != 0, step >= 1500 && rng.IntN(4) == 0:
			v := fmt.Sprint(k, "@", step)
			m.Store(k, v)
			want[k] = v
		default:
			v, ok := m.Delete(k)
			if w, wok := want[k]; v != w || ok != wok {
				t.Fatalf("step %d: Delete(%d) = %q, %v; want %q, %v", step, k, v, ok, w, wok)
			}
			delete(want, k)
		}
		if step%50 == 0 {
			check(step)
		}
	}
	for k := range want {
		m.Delete(k)
	}
	clear(want)
	check(3000)
	if n := len(m.tab.Load().buckets); n != minBuckets {
		t.Errorf("emptied map has %d buckets, want it shrunk to %d", n, minBuckets)
	}
}

// TestConcurrentReaders: while a writer stores, replaces and deletes keys
// (growing and shrinking the table), readers always find the keys that are
// never deleted, with their current or previous value, and never a value
// that belongs to another key. With every key in one chain, the readers
// walk through the nodes being unlinked all the time. Run with -race.
func TestConcurrentReaders(t *testing.T) {
	t.Run("spread", func(t *testing.T) { concurrentReaders[intHash](t, 4000) })
	t.Run("one chain", func(t *testing.T) { concurrentReaders[sameHash](t, 200) })
}

func concurrentReaders[H Hasher[int]](t *testing.T, churn int) {
	var m Map[int, int, H]
	const stable = 64 // keys 0..63 stay; their value is key + 1000*version
	var version atomic.Int64
	for k := range stable {
		m.Store(k, k)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 3))
			for {
				select {
				case <-stop:
					return
				default:
				}
				for range 100 {
					k := rng.IntN(stable + churn + 100)
					before := version.Load()
					v, ok := m.Load(k)
					after := version.Load()
					switch {
					case ok && v%1000 != k%1000:
						t.Errorf("Load(%d) = %d, another key's value", k, v)
						return
					case k < stable && !ok:
						t.Errorf("Load(%d) missed a key that is never deleted", k)
						return
					case k < stable && (int64(v/1000) < before-1 || int64(v/1000) > after):
						t.Errorf("Load(%d) = version %d, outside %d..%d", k, v/1000, before-1, after)
						return
					}
				}
			}
		})
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for round := 1; round <= 20; round++ {
		version.Store(int64(round))
		for k := range stable {
			m.Store(k, k+1000*round)
		}
		for range churn / 2 { // grow
			k := stable + rng.IntN(churn)
			m.Store(k, k%1000+1000*rng.IntN(50))
		}
		for k := stable; k < stable+churn; k++ { // and shrink back
			m.Delete(k)
		}
	}
	close(stop)
	wg.Wait()
	if m.Len() != stable {
		t.Errorf("Len() = %d, want %d", m.Len(), stable)
	}
}

func TestLoadNoAllocs(t *testing.T) {
	var m Map[int, string, intHash]
	for k := range 100 {
		m.Store(k, "x")
	}
	if n := testing.AllocsPerRun(1000, func() { m.Load(42); m.Load(1000) }); n != 0 {
		t.Errorf("Load allocates %v times, want 0", n)
	}
}

func TestZeroMap(t *testing.T) {
	var m Map[int, string, intHash]
	if _, ok := m.Load(1); ok || m.Len() != 0 {
		t.Error("zero Map is not empty")
	}
	if _, ok := m.Delete(1); ok {
		t.Error("Delete on a zero Map found something")
	}
	for range m.All() {
		t.Error("All on a zero Map yielded")
	}
}
