package tcp

import (
	"math"
	"testing"
)

func TestSeqCompareAcrossWrap(t *testing.T) {
	tests := []struct {
		a, b             Seq
		lt, leq, gt, geq bool
		sub              int
	}{
		{1, 2, true, true, false, false, -1},
		{2, 2, false, true, false, true, 0},
		{math.MaxUint32, 0, true, true, false, false, -1}, // wraps
		{5, math.MaxUint32 - 5, false, false, true, true, 11},
		{0, 1<<31 - 1, true, true, false, false, -(1<<31 - 1)},
	}
	for _, tt := range tests {
		if got := tt.a.LT(tt.b); got != tt.lt {
			t.Errorf("%d.LT(%d) = %v", tt.a, tt.b, got)
		}
		if got := tt.a.LEQ(tt.b); got != tt.leq {
			t.Errorf("%d.LEQ(%d) = %v", tt.a, tt.b, got)
		}
		if got := tt.a.GT(tt.b); got != tt.gt {
			t.Errorf("%d.GT(%d) = %v", tt.a, tt.b, got)
		}
		if got := tt.a.GEQ(tt.b); got != tt.geq {
			t.Errorf("%d.GEQ(%d) = %v", tt.a, tt.b, got)
		}
		if got := tt.a.Sub(tt.b); got != tt.sub {
			t.Errorf("%d.Sub(%d) = %d, want %d", tt.a, tt.b, got, tt.sub)
		}
	}
}

func TestSeqAddWraps(t *testing.T) {
	if got := Seq(math.MaxUint32 - 1).Add(3); got != 1 {
		t.Errorf("Add across 2^32 = %d, want 1", got)
	}
	if got := MaxSeq(math.MaxUint32, 2); got != 2 {
		t.Errorf("MaxSeq across the wrap = %d, want 2", got)
	}
	if got := MinSeq(math.MaxUint32, 2); got != math.MaxUint32 {
		t.Errorf("MinSeq across the wrap = %d", got)
	}
}

func TestSeqInWindow(t *testing.T) {
	tests := []struct {
		s, start Seq
		size     int
		want     bool
	}{
		{10, 10, 5, true},
		{14, 10, 5, true},
		{15, 10, 5, false},
		{9, 10, 5, false},
		{10, 10, 0, false},               // an empty window holds nothing
		{1, math.MaxUint32 - 1, 4, true}, // across the wrap
	}
	for _, tt := range tests {
		if got := tt.s.InWindow(tt.start, tt.size); got != tt.want {
			t.Errorf("%d.InWindow(%d, %d) = %v, want %v", tt.s, tt.start, tt.size, got, tt.want)
		}
	}
}

// FuzzSeq checks the algebra every comparison must satisfy for any pair.
func FuzzSeq(f *testing.F) {
	f.Add(uint32(0), uint32(1))
	f.Add(uint32(math.MaxUint32), uint32(0))
	f.Fuzz(func(t *testing.T, a, b uint32) {
		x, y := Seq(a), Seq(b)
		if x.LT(y) == x.GEQ(y) || x.GT(y) == x.LEQ(y) {
			t.Fatalf("%d vs %d: LT/GEQ or GT/LEQ not complements", a, b)
		}
		if x != y && x.LT(y) == y.LT(x) && x.Sub(y) != math.MinInt32 {
			t.Fatalf("%d vs %d: LT not antisymmetric", a, b)
		}
		if y.Add(x.Sub(y)) != x {
			t.Fatalf("%d vs %d: y + (x - y) != x", a, b)
		}
	})
}
