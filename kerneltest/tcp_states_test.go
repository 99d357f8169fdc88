//go:build linux

package kerneltest

import (
	"io"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/tcp"
)

// The socket table at the moments that matter, against the kernel: LISTEN
// once listening, ESTABLISHED both sides once connected, TIME-WAIT on the
// side that closed first. The stack's side is read through its API
// (tcp.Protocol.Connections, what the shell's ss prints); the kernel's
// with iproute2's ss in the namespace.

// waitState waits up to 10 s for the stack's row local -> remote to be in
// state want (remote invalid: a listener); want Closed means no row.
func waitState(t *testing.T, h *tapHost, local, remote string, want tcp.State) {
	t.Helper()
	l, r := netip.MustParseAddrPort(local), netip.AddrPort{}
	if remote != "" {
		r = netip.MustParseAddrPort(remote)
	}
	var rows []tcp.ConnInfo
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		rows = h.stack.TCP.Connections()
		got := tcp.Closed
		for _, c := range rows {
			if c.Local == l && c.Remote == r {
				got = c.State
			}
		}
		if got == want {
			return
		}
	}
	t.Fatalf("%s -> %s is not %s (ss name %s) in 10 s; the table: %+v", local, remote, want, want.SSName(), rows)
}

// kernelSS is the kernel's ss -tan line for local -> peer, or "".
func kernelSS(t *testing.T, h *tapHost, local, peer string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(\S+)\s+\d+\s+\d+\s+` + regexp.QuoteMeta(local) + `\s+` + regexp.QuoteMeta(peer) + `\s*$`)
	if m := re.FindStringSubmatch(nstest.Run(t, h.ns, "ss", "-tan")); m != nil {
		return m[1]
	}
	return ""
}

func TestTCPSocketStatesAgainstKernel(t *testing.T) {
	h := newTapHost(t)
	ln, err := h.stack.Listen("tcp", ":7400")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	waitState(t, h, "0.0.0.0:7400", "", tcp.Listen)

	for _, stackClosesFirst := range []bool{true, false} {
		accepted := make(chan net.Conn, 1)
		go func() { c, _ := ln.Accept(); accepted <- c }()
		theirs, err := kernelDial(t, h, "10.0.0.1:7400")
		if err != nil {
			t.Fatal(err)
		}
		defer theirs.Close()
		ours := <-accepted
		if ours == nil {
			t.Fatal("accept failed")
		}
		kaddr := theirs.LocalAddr().String()
		waitState(t, h, "10.0.0.1:7400", kaddr, tcp.Established)
		if st := kernelSS(t, h, kaddr, "10.0.0.1:7400"); st != "ESTAB" {
			t.Errorf("the kernel's ss shows %q for %s -> 10.0.0.1:7400, want ESTAB", st, kaddr)
		}
		first, second := ours, theirs
		if !stackClosesFirst {
			first, second = theirs, ours
		}
		first.Close()
		if n, err := io.Copy(io.Discard, second); n != 0 || err != nil {
			t.Fatalf("the second side read %d bytes, %v; want the first's FIN (EOF)", n, err)
		}
		second.Close()
		if stackClosesFirst {
			// The active closer holds TIME-WAIT (2 MSL); the kernel's row is gone.
			waitState(t, h, "10.0.0.1:7400", kaddr, tcp.TimeWait)
			if st := kernelSS(t, h, kaddr, "10.0.0.1:7400"); st != "" && st != "LAST-ACK" {
				t.Errorf("the kernel closed second and shows %s; want no row (or LAST-ACK for a moment)", st)
			}
		} else {
			waitState(t, h, "10.0.0.1:7400", kaddr, tcp.Closed)
			if st := kernelSS(t, h, kaddr, "10.0.0.1:7400"); st != "TIME-WAIT" {
				t.Errorf("the kernel closed first; its ss shows %q, want TIME-WAIT", st)
			}
		}
	}
	waitState(t, h, "0.0.0.0:7400", "", tcp.Listen) // the listener stays
}

// The program as a user runs it: snc and curl to a closed kernel port say
// "Connection refused", in their own words, and fail.
func TestTCPCLIConnectionRefused(t *testing.T) {
	ns := tcpNetns(t)
	out, errOut, status := runTapip(t, ns, "", append(tcpTapArgs, "-c", "snc -c 10.0.0.2:9 < /dev/null; curl -m 5 http://10.0.0.2:9/")...)
	if status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	for _, want := range []string{
		"snc: connect to 10.0.0.2:9: Connection refused\n",
		"curl: (7) Failed to connect to 10.0.0.2 port 9: Connection refused\n",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\nstdout:\n%s\nstderr:\n%s", want, out, errOut)
		}
	}
}
