package tcp

import (
	"testing"
)

func TestRingWrapsAndPlacesOutOfOrderData(t *testing.T) {
	r := newRing(8)
	if n := r.write([]byte("abcdef")); n != 6 {
		t.Fatalf("write = %d", n)
	}
	buf := make([]byte, 4)
	if n := r.read(buf); n != 4 || string(buf) != "abcd" {
		t.Fatalf("read %q", buf[:n])
	}
	if n := r.write([]byte("ghijklmn")); n != 6 { // 2 held + 6 = full, wrapping
		t.Fatalf("write across the end = %d, want 6", n)
	}
	got := make([]byte, 8)
	if n := r.peek(0, got); string(got[:n]) != "efghijkl" {
		t.Errorf("peek = %q", got[:n])
	}
	if n := r.peek(5, got[:2]); string(got[:n]) != "jk" {
		t.Errorf("peek at 5 = %q", got[:n])
	}
	r.discard(8)
	r.writeAt(3, []byte("XY")) // out of order: 3 bytes missing before it
	r.write([]byte("abc"))
	r.commit(2)
	if n := r.read(got); string(got[:n]) != "abcXY" {
		t.Errorf("after the hole filled: %q", got[:n])
	}
	r.write([]byte("12345"))
	r.grow(16)
	if n := r.read(got); string(got[:n]) != "12345" || r.cap() != 16 {
		t.Errorf("after grow: %q cap %d", got[:n], r.cap())
	}
}

func TestOOORangesMergeAndBound(t *testing.T) {
	var o oooRanges
	o.add(100, 200)
	o.add(300, 400)
	o.add(200, 250) // touches the first
	o.add(150, 320) // bridges both
	if o.n != 1 || o.r[0] != (SACKBlock{100, 400}) {
		t.Fatalf("merged ranges %v", o.r[:o.n])
	}
	o.add(500, 600)
	o.add(700, 800)
	var blocks [3]SACKBlock
	if n := o.sackBlocks(blocks[:]); n != 3 || blocks[0] != (SACKBlock{700, 800}) || blocks[1] != (SACKBlock{500, 600}) {
		t.Errorf("SACK blocks %v, want the newest first", blocks[:n])
	}
	if _, ok := o.popFront(99); ok {
		t.Error("popFront before the first range")
	}
	if right, ok := o.popFront(100); !ok || right != 400 {
		t.Errorf("popFront = %d %v", right, ok)
	}
	o.clear()
	for i := range maxOOORanges {
		if !o.add(Seq(1000*i), Seq(1000*i+10)) {
			t.Fatalf("add %d failed below the bound", i)
		}
	}
	if o.add(99999, 100000) {
		t.Error("a range past the bound was kept")
	}
	if !o.add(5, 20) { // overlapping an existing range needs no new slot
		t.Error("a merging range was refused at the bound")
	}
}

// Growing keeps the bytes held and data placed past them at their
// offsets, across the wrap.
func TestRingGrowKeepsOutOfOrderData(t *testing.T) {
	r := newRing(8)
	r.write([]byte("xxxxxx"))
	r.discard(6) // head at 6: what follows wraps
	r.write([]byte("abc"))
	r.writeAt(4, []byte("ef")) // out of order, at offset 4 (wrapped)
	r.grow(32)
	r.writeAt(3, []byte("d"))
	r.commit(3)
	got := make([]byte, 16)
	if n := r.read(got); string(got[:n]) != "abcdef" || r.cap() != 32 {
		t.Errorf("after growing: read %q with cap %d, want \"abcdef\" with 32", got[:n], r.cap())
	}
}
