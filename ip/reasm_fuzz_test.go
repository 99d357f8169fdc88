package ip

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// The fuzz input drives a Reassembler with fragments of one known datagram
// (id fuzzKnownID) and of foreign ones, in any order, duplicated, shifted,
// cut, with MF flipped, and with the clock moving:
//
//	byte 0      limits: HighThresh (bits 0-1), MaxDatagrams 1-8 (bits 2-4)
//	bytes 1-2   payload length of the known datagram
//	byte 3      MTU (low bits), options (bit 7)
//	then up to fuzzMaxOps 5-byte operations: kind, a, b, c, flags (see step)
//
// Every fragment of the known id carries, at each payload position, the
// byte testPayload has there, so whatever completes with that id must be
// the original's header and a prefix of that pattern: a datagram stitched
// from misplaced bytes cannot pass. Invariants checked after each step:
// no panic, BytesHeld <= HighThresh, Datagrams <= MaxDatagrams, no packet
// left out of the pool, every datagram returned is a valid unfragmented
// IPv4 datagram; and if only the original fragments were sent (any order,
// any duplicates) and all of them were, the datagram completed.
const (
	fuzzKnownID = 0x4242
	// fuzzMaxOps bounds the work per input: without it the fuzzer grows
	// inputs to tens of thousands of operations and spends its time
	// minimizing them instead of exploring.
	fuzzMaxOps = 1000
)

var (
	fuzzHighThresh = [4]int{16 << 10, 100 << 10, 400 << 10, DefaultReasmHighThresh}
	fuzzMTUs       = [5]int{MinMTU, 576, 1006, 1500, 9000}
)

type fuzzRun struct {
	t           *testing.T
	pool        *netdev.Pool
	r           *Reassembler
	orig        []byte   // the known datagram
	frags       [][]byte // its fragments, as Fragment made them
	opts        []byte
	now         time.Time
	sent        []bool // which of frags were sent
	onlyOrig    bool   // nothing but frags was sent and the clock never moved
	completions int
}

func FuzzReassembly(f *testing.F) {
	f.Add([]byte{0x0c, 0x17, 0x70, 0x03, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0})
	f.Add([]byte{0x0f, 0x03, 0x00, 0x81, 4, 1, 0, 0, 0, 1, 0, 1, 16, 1, 2, 0, 0, 8, 0, 3, 31, 0, 0, 0})
	f.Fuzz(fuzzReassembly)
}

func fuzzReassembly(t *testing.T, data []byte) {
	if len(data) < 4 {
		return
	}
	fr := newFuzzRun(t, data[:4])
	ops := data[4:]
	ops = ops[:min(len(ops), 5*fuzzMaxOps)]
	for ; len(ops) >= 5; ops = ops[5:] {
		fr.step([5]byte(ops))
		fr.checkLimits()
	}
	if fr.onlyOrig && fr.allSent() && fr.fits() && fr.completions == 0 {
		t.Errorf("all %d fragments sent, in some order, and no datagram completed", len(fr.frags))
	}
	fr.r.Flush()
	if n := fr.pool.InUse(); n != 0 || fr.r.BytesHeld() != 0 {
		t.Errorf("after Flush: %d packets in use, %d bytes held", n, fr.r.BytesHeld())
	}
}

func newFuzzRun(t *testing.T, hdr []byte) *fuzzRun {
	cfg := ReasmConfig{HighThresh: fuzzHighThresh[hdr[0]&3], MaxDatagrams: 1 + int(hdr[0]>>2&7)}
	pool := netdev.NewPool()
	fr := &fuzzRun{t: t, pool: pool, r: NewReassembler(cfg, pool), now: fakeNow, onlyOrig: true}
	if hdr[3]&0x80 != 0 {
		fr.opts = testOptions
	}
	n := 1 + int(binary.BigEndian.Uint16(hdr[1:]))%(MaxDatagram-HeaderLen-len(testOptions))
	fr.orig = testDatagram(fuzzKnownID, fr.opts, n)
	fr.frags = fragmentBytes(t, pool, fr.orig, fuzzMTUs[int(hdr[3]&0x7f)%len(fuzzMTUs)])
	fr.sent = make([]bool, len(fr.frags))
	return fr
}

// step runs one operation:
//
//	kind%5 == 0  send original fragment a
//	kind%5 == 1  send original fragment a twice
//	kind%5 == 2  send a known-id fragment at offset (a<<8|b)*8, c payload
//	             bytes (times 8 if flags bit 1), MF = flags bit 0
//	kind%5 == 3  the same for foreign id 1 + flags>>6, payload bytes = c
//	kind%5 == 4  advance the clock a seconds and Expire
func (fr *fuzzRun) step(op [5]byte) {
	kind, a, b, c, flags := op[0]%5, int(op[1]), int(op[2]), int(op[3]), op[4]
	switch kind {
	case 0, 1:
		i := a % len(fr.frags)
		fr.sent[i] = true
		for range 1 + int(kind) {
			fr.send(fr.frags[i])
		}
		return
	case 4:
		fr.onlyOrig = false
		fr.now = fr.now.Add(time.Duration(a) * time.Second)
		fr.r.Expire(fr.now, func(first *netdev.Packet) {
			if _, err := Parse(first.Data()); err != nil {
				fr.t.Errorf("timed-out first fragment: %v", err)
			}
			first.Free()
		})
		return
	}
	fr.onlyOrig = false
	off, n := (a<<8|b)%8192*8, c
	if flags&2 != 0 {
		n *= 8
	}
	id := uint16(fuzzKnownID)
	if kind == 3 {
		id = 1 + uint16(flags>>6)
	}
	frag := fr.fragmentAt(id, off, n, flags&1 != 0)
	if kind == 3 {
		for i := len(frag) - n; i < len(frag); i++ {
			frag[i] = byte(c) // foreign payloads disagree with the pattern
		}
	}
	fr.send(frag)
}

// fragmentAt builds a fragment of id with the options a real fragment at
// off would carry and the pattern's bytes; nil if it cannot be encoded.
func (fr *fuzzRun) fragmentAt(id uint16, off, n int, mf bool) []byte {
	opts := fr.opts
	if off != 0 && opts != nil {
		opts = testCopiedOpts
	}
	if HeaderLen+len(opts)+n > MaxDatagram {
		n = MaxDatagram - HeaderLen - len(opts)
	}
	return testFrag(id, opts, off, n, mf)
}

func (fr *fuzzRun) send(b []byte) {
	p := fr.pool.Get(len(b))
	copy(p.Append(len(b)), b)
	h, err := Parse(p.Data())
	if err != nil {
		fr.t.Fatalf("fuzz harness built a bad fragment: %v", err)
	}
	out := fr.r.Add(p, h, fr.now)
	if out == nil {
		return
	}
	fr.completions++
	fr.checkDatagram(out.Data())
	out.Free()
}

// checkDatagram checks a reassembled datagram; one with the known id must
// be the original's header and a prefix of the pattern.
func (fr *fuzzRun) checkDatagram(d []byte) {
	h, err := Parse(d)
	if err != nil || h.IsFragment() || h.TotalLen() != len(d) {
		fr.t.Fatalf("reassembled datagram is not a whole valid datagram: %v (%v)", err, h)
	}
	if h.ID() != fuzzKnownID {
		return
	}
	oh := Header(fr.orig[:Header(fr.orig).IHL()])
	want := bytes.Clone(oh)
	Header(want).SetTotalLen(len(d))
	Header(want).UpdateChecksum()
	want = append(want, testPayload(len(d)-len(oh))...)
	if !bytes.Equal(d, want) {
		fr.t.Fatalf("reassembled %d bytes that are not the original's header and pattern", len(d))
	}
}

func (fr *fuzzRun) checkLimits() {
	cfg := fr.r.Config()
	if held, n := fr.r.BytesHeld(), fr.r.Datagrams(); held > cfg.HighThresh || n > cfg.MaxDatagrams {
		fr.t.Fatalf("%d bytes in %d datagrams, limits %d bytes, %d datagrams", held, n, cfg.HighThresh, cfg.MaxDatagrams)
	}
	if n := fr.pool.InUse(); n != 0 {
		fr.t.Fatalf("%d packets out of the pool between operations", n)
	}
}

func (fr *fuzzRun) allSent() bool {
	for _, s := range fr.sent {
		if !s {
			return false
		}
	}
	return true
}

// fits reports whether the known datagram can be held whole under
// HighThresh: overhead, its pages, and its span list at most doubled.
func (fr *fuzzRun) fits() bool {
	payload := len(fr.orig) - Header(fr.orig).IHL()
	pages := (payload + reasmPageSize - 1) / reasmPageSize
	need := reasmDatagramCost + pages*reasmPageSize + max(8, 2*len(fr.frags))*reasmSpanCost
	return need <= fr.r.Config().HighThresh
}
