package stack_test

import (
	"sync/atomic"
	"testing"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/stack"
)

// Over a pipe, which has no offloads, TCP sends MSS-sized segments: the
// longest frame is a full-sized one, and none is a super-frame.
func TestTCPOverPipeStaysMSSSized(t *testing.T) {
	a, b, _, _ := stacktest.Pair(t, 3, stack.Config{}, stack.Config{})
	var dev *netdev.NetDev
	for _, d := range a.Devices() {
		if !d.IsLoopback() {
			dev = d
		}
	}
	if o := dev.Offloads(); o != (netdev.Offloads{}) {
		t.Fatalf("a pipe with offloads %v", o)
	}
	var longest atomic.Int64
	dev.SetSniffer(func(dir netdev.Direction, _ *netdev.NetDev, frame []byte) {
		if dir == netdev.Out && int64(len(frame)) > longest.Load() {
			longest.Store(int64(len(frame)))
		}
	})
	c1, c2 := tcpPair(t, a, b)
	defer c1.Close()
	defer c2.Close()
	stacktest.Transfer(t, c1, c2, 1<<20)
	dev.SetSniffer(nil)
	if n := longest.Load(); n != netdev.EthernetHeaderLen+1500 {
		t.Errorf("longest frame sent %d bytes, want %d (full-sized segments, none longer)", n, netdev.EthernetHeaderLen+1500)
	}
	if n := dev.Stats.TxGSO.Load(); n != 0 {
		t.Errorf("%d super-frames on a pipe", n)
	}
}
