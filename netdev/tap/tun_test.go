//go:build linux

package tap

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/netdev"
)

// A kernel that refuses every TUNSETOFFLOAD (here: a file that is no TAP
// at all) leaves no offload in force, only the header on the frames.
func TestNegotiateOffloadsRefused(t *testing.T) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if got, want := negotiateOffloads(fds[0]), (netdev.Offloads{RxVnet: true}); got != want {
		t.Errorf("offloads after every TUNSETOFFLOAD refused: %+v, want %+v", got, want)
	}
}

// Opened with offloads, a TAP has checksum offload and TSO; without,
// none, and its frames carry no header.
func TestOpenOffloads(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "gttapo")
	for _, off := range []bool{true, false} {
		var tp *TAP
		var err error
		nstest.Do(t, ns, func() { tp, err = Open("gtoff0", Options{Offload: off}) })
		if err != nil {
			t.Fatal(err)
		}
		o := tp.Offloads()
		if off && (!o.TSO || !o.TxChecksum || !o.RxVnet || o.GSOMaxSize != GSOMaxSize) || !off && o != (netdev.Offloads{}) {
			t.Errorf("Open with Offload %v: offloads %+v", off, o)
		}
		if tp.vnet != off {
			t.Errorf("Open with Offload %v: virtio_net_hdr on frames %v", off, tp.vnet)
		}
		tp.Close()
	}
}
