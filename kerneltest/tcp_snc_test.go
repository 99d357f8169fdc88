//go:build linux

package kerneltest

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/stacktest"
)

// A file each way between the tapip binary's snc, with redirection, and
// a kernel socket in the namespace: snc -c 10.0.0.2:PORT < big.bin to a
// kernel receiver, and a kernel sender to snc -b 0.0.0.0:PORT > out.bin,
// SHA-256 equal at both ends. Clean, with 3% loss on the kernel side
// (nftables, both directions, on a kernel router in front of the kernel
// peer: lossyKernelPeer), and with the shell's netem (loss, duplication,
// reordering) on the frames our stack sends.

// sncTimeout bounds one transfer: 50 MB moves in seconds on a quiet
// machine; a stuck connection fails the test instead of hanging it.
const sncTimeout = 4 * time.Minute

func TestTCPSncFileTransfers(t *testing.T) { testSncTransfers(t, 50<<20, 50<<20, 0, "") }

func TestTCPSncFileTransfersKernelLoss(t *testing.T) {
	testSncTransfers(t, lossyStackSends, 50<<20, 3, "")
}

func TestTCPSncFileTransfersNetem(t *testing.T) {
	testSncTransfers(t, lossyStackSends, 50<<20, 0, "loss 3% duplicate 2% reorder 5% seed 11")
}

// lossyStackSends is what our stack sends under loss: 50 MB, as
// cleanly. With NewReno alone it recovered mostly by timeouts and 50 MB
// took 70-90 s; with SACK recovery, limited transmit and TLP (doc/tcp.md)
// about 12 s through the kernel router's 3% loss, with some RTOs left.
// The kernel, as the sender, moves its 50 MB through the same loss in
// about a second.
const lossyStackSends = 50 << 20

// testSncTransfers has our stack send sendSize bytes and receive
// recvSize, one way after the other, with lossPct% of TCP segments
// dropped each way by a kernel router in front of the kernel peer, and
// netem (a netem command's faults) on our TAP.
func testSncTransfers(t *testing.T, sendSize, recvSize, lossPct int, netem string) {
	ns := tcpNetns(t)
	kns, kaddr, args := ns, "10.0.0.2", tcpTapArgs // the kernel's side
	if lossPct > 0 {
		kns, kaddr = lossyKernelPeer(t, ns, lossPct), "10.0.1.2"
		args = append([]string{"-gw", "10.0.0.2"}, args...)
	}
	dir := t.TempDir()
	script := func(snc string) string {
		if netem == "" {
			return snc + "; stat"
		}
		return "netem gttcp0 " + netem + "; " + snc + "; stat; netem gttcp0"
	}
	// sending: our stack sends the data. netem acts on what we send, so
	// when we receive it only touches our ACKs, which later ACKs cover:
	// then nobody need retransmit.
	check := func(t *testing.T, p *tapipProc, sending bool) {
		if status := p.wait(t, sncTimeout); status != 0 || p.errOut.String() != "" {
			t.Fatalf("tapip: status %d\nstderr:\n%s", status, p.errOut.String())
		}
		if lossPct > 0 || netem != "" {
			checkRecovered(t, kns, p.out.String(), netem != "", lossPct > 0 || sending)
		}
	}

	t.Run("snc -c < file", func(t *testing.T) {
		size, in := sendSize, filepath.Join(dir, "send.bin")
		sum := stacktest.RandomFile(t, in, size, 1)
		ln := kernelListenIn(t, kns, "0.0.0.0:9100") // before tapip makes the TAP and its address
		got := make(chan hashed, 1)
		go func() { got <- hashAccepted(ln) }()
		p := startTapip(t, ns, append(args, "-c", script("snc -c "+kaddr+":9100 < "+in))...)
		var r hashed
		select {
		case r = <-got:
		case <-time.After(sncTimeout):
			ln.Close()
			t.Fatalf("the kernel received nothing complete in %v\nstderr:\n%s", sncTimeout, p.errOut.String())
		}
		check(t, p, true)
		if r.err != nil || r.n != int64(size) || r.sum != sum {
			t.Errorf("the kernel received %d bytes (%v), SHA-256 %x; snc sent %d, %x", r.n, r.err, r.sum, size, sum)
		}
	})

	t.Run("snc -b > file", func(t *testing.T) {
		size, in := recvSize, filepath.Join(dir, "recv.bin")
		sum := stacktest.RandomFile(t, in, size, 2)
		out := filepath.Join(dir, "out.bin")
		p := startTapip(t, ns, append(args, "-c", script("snc -b 0.0.0.0:9200 > "+out))...)
		c := dialWhenListening(t, kns, "10.0.0.1:9200", p)
		defer c.Close()
		c.SetDeadline(time.Now().Add(sncTimeout))
		if err := sendFile(c, in); err != nil {
			t.Fatalf("kernel sender: %v\nstderr:\n%s", err, p.errOut.String())
		}
		// snc ends at our FIN, having stored all of it; its own FIN is not
		// waited for here (TestTCPExitAfterLostFIN is about that one).
		check(t, p, false)
		if got, n := stacktest.HashFile(t, out); n != int64(size) || got != sum {
			t.Errorf("snc -b > out.bin stored %d bytes, SHA-256 %x; the kernel sent %d, %x", n, got, size, sum)
		}
	})
}

// hashed is what a kernel receiver read.
type hashed struct {
	sum [32]byte
	n   int64
	err error
}

// hashAccepted accepts one connection on ln, reads it to its end and
// closes it.
func hashAccepted(ln net.Listener) hashed {
	c, err := ln.Accept()
	if err != nil {
		return hashed{err: err}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(sncTimeout))
	var r hashed
	r.sum, r.n, r.err = stacktest.HashStream(c)
	return r
}

// sendFile writes the file at path to c and half-closes c.
func sendFile(c net.Conn, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(c, f); err != nil {
		return err
	}
	return c.(*net.TCPConn).CloseWrite()
}

// checkRecovered checks that the faults were there to recover from: our
// stack retransmitted (its stat) or the kernel did (/proc/net/snmp), if
// data was lost (needRetrans), and with netem, that it dropped, duplicated
// and reordered frames.
func checkRecovered(t *testing.T, ns, out string, netem, needRetrans bool) {
	t.Helper()
	ours := statValue(t, out, "TcpRetransSegs")
	theirs := kernelTCPCounter(t, ns, "RetransSegs")
	t.Logf("retransmitted: ours %d (%d on timeouts, %d fast retransmits), the kernel's %d (the namespace's total so far)",
		ours, statValue(t, out, "TcpExtTCPTimeouts"), statValue(t, out, "TcpExtTCPFastRetrans"), theirs)
	if needRetrans && ours+theirs == 0 {
		t.Errorf("faults on the link and nobody retransmitted (ours %d, the kernel's %d):\n%s", ours, theirs, tail(out))
	}
	if !netem {
		return
	}
	m := regexp.MustCompile(`dropped (\d+),[^\n]*\n duplicated (\d+) reordered (\d+)`).FindStringSubmatch(out)
	if m == nil || m[1] == "0" || m[2] == "0" || m[3] == "0" {
		t.Errorf("netem should have dropped, duplicated and reordered frames:\n%s", tail(out))
	}
}

// statValue is a counter from the shell's stat output.
func statValue(t *testing.T, out, name string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + `\s+(\d+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stat printed no %s:\n%s", name, tail(out))
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// kernelTCPCounter reads a Tcp counter of /proc/net/snmp in ns.
func kernelTCPCounter(t *testing.T, ns, name string) int {
	t.Helper()
	var names, values []string
	for _, line := range strings.Split(nstest.Run(t, ns, "cat", "/proc/net/snmp"), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "Tcp:" {
			if names == nil {
				names = f
			} else {
				values = f
			}
		}
	}
	for i, n := range names {
		if n == name && i < len(values) {
			v, _ := strconv.Atoi(values[i])
			return v
		}
	}
	t.Fatalf("/proc/net/snmp in %s has no Tcp %s", ns, name)
	return 0
}
