//go:build linux

package kerneltest

import (
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/tcp"
)

// Our stack closes right after a connection closes and the kernel drops
// our FIN (nftables): the kernel's socket, in FIN-WAIT-2, must still see
// the end. With one FIN dropped, the grace period sends it again (EOF);
// with every FIN dropped, the reset after the grace period is one the
// kernel accepts (ECONNRESET, no challenge ACK).
func TestTCPStackCloseAfterLostFIN(t *testing.T) {
	for _, tc := range []struct {
		name, rule string
		want       error
	}{
		{"one FIN lost", "quota until 100 bytes counter drop", io.EOF},
		{"every FIN lost", "counter drop", syscall.ECONNRESET},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTapHost(t)
			if _, err := exec.LookPath("nft"); err != nil {
				nstest.Unavailable(t, "needs nft(8) (apt-get install nftables, or make deps)")
			}
			ln, err := h.stack.Listen("tcp", "10.0.0.1:7300")
			if err != nil {
				t.Fatal(err)
			}
			accepted := make(chan error, 1)
			go func() {
				c, err := ln.Accept()
				if err == nil {
					_, err = io.Copy(io.Discard, c) // the request, to the kernel's FIN
					c.Close()                       // LAST-ACK; our FIN is dropped
				}
				accepted <- err
			}()
			kc, err := kernelDial(t, h, "10.0.0.1:7300")
			if err != nil {
				t.Fatal(err)
			}
			defer kc.Close()
			nstest.Run(t, h.ns, "nft", "add table inet finloss; "+
				"add chain inet finloss in { type filter hook input priority 0 ; } ; "+
				"add rule inet finloss in ip saddr 10.0.0.1 tcp flags & fin == fin "+tc.rule)
			kc.Write([]byte("request"))
			kc.(interface{ CloseWrite() error }).CloseWrite()
			if err := <-accepted; err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			h.stack.Close()
			took := time.Since(start)
			kc.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = kc.Read(make([]byte, 1))
			nft := nstest.Run(t, h.ns, "nft", "list", "table", "inet", "finloss")
			if strings.Contains(nft, "counter packets 0 ") {
				t.Errorf("nftables dropped no FIN: the test tested nothing\n%s", nft)
			}
			challenges := nstest.Run(t, h.ns, "nstat", "-az", "TcpExtTCPChallengeACK")
			if f := strings.Fields(challenges); !slices.Contains(f, "TcpExtTCPChallengeACK") || f[len(f)-2] != "0" {
				t.Errorf("the kernel sent challenge ACKs (a reset not at its RCV.NXT):\n%s", challenges)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("the kernel's read after our stack closed (in %v): %v, want %v\nkernel: %s%s%s", took, err, tc.want,
					nstest.Run(t, h.ns, "ss", "-tan"), nstest.Run(t, h.ns, "nstat", "-az", "TcpExtTCPChallengeACK", "TcpInErrs"), nft)
			}
			if took > tcp.ExitGrace+time.Second {
				t.Errorf("Stack.Close took %v: the grace period is %v", took, tcp.ExitGrace)
			}
		})
	}
}
