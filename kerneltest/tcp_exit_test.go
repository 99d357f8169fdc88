//go:build linux

package kerneltest

import (
	"errors"
	"io"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/stacktest"
)

// When the program ends right after a connection closes, the peer must
// still see the close. Here the kernel drops the first FIN our stack
// sends (nftables, a quota of one packet), as a lossy link does now and
// then: the kernel's socket must still leave FIN-WAIT-2 (our FIN
// retransmitted, or a reset it accepts) rather than wait forever for a
// program that is gone.
func TestTCPExitAfterLostFIN(t *testing.T) {
	ns := tcpNetns(t)
	if _, err := nstest.Exec(ns, "nft", "list", "tables"); err != nil {
		nstest.Unavailable(t, "needs nft(8) (apt-get install nftables, or make deps)")
	}
	nstest.Run(t, ns, "nft", "add table inet finloss; "+
		"add chain inet finloss in { type filter hook input priority 0 ; } ; "+
		"add rule inet finloss in ip saddr 10.0.0.1 tcp flags & fin == fin quota until 100 bytes counter drop")
	in := filepath.Join(t.TempDir(), "in.bin")
	stacktest.RandomFile(t, in, 64<<10, 3)
	p := startTapip(t, ns, append(tcpTapArgs, "-c", "snc -b 0.0.0.0:9300 > /dev/null")...)
	c := dialWhenListening(t, ns, "10.0.0.1:9300", p)
	defer c.Close()
	if err := sendFile(c, in); err != nil {
		t.Fatal(err)
	}
	if status := p.wait(t, 30*time.Second); status != 0 {
		t.Fatalf("tapip: status %d\nstderr:\n%s", status, p.errOut.String())
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("tapip exited and the kernel's connection never saw it close (%v): "+
			"the lost FIN went unrepeated and no reset was accepted.\nkernel: %s%s%s",
			err, nstest.Run(t, ns, "ss", "-tan"), nstest.Run(t, ns, "nstat", "-az", "TcpExtTCPChallengeACK", "TcpOutRsts", "TcpInErrs"),
			nstest.Run(t, ns, "nft", "list", "table", "inet", "finloss"))
	}
}
