//go:build linux

package kerneltest

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/syncbuf"
)

// A capture taken during a ping and a UDP exchange is read by tcpdump (-r)
// with the right packet count and decodes.
func TestCaptureReadByTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Fatal("needs tcpdump (make deps installs it)")
	}
	h := newTapHost(t)
	file := filepath.Join(t.TempDir(), "ping-udp.pcap")
	var out syncbuf.Buffer
	sh := newShell(h, &out)
	run := func(line string) {
		t.Helper()
		if err := sh.Execute(context.Background(), line); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out.String())
		}
	}
	run("capture start " + file)
	run("ping -c 2 -i 0.2 10.0.0.2")

	// The UDP exchange: we send to a kernel socket, which answers.
	k := kernelUDP(t, h, "10.0.0.2:9000", "").(*net.UDPConn)
	done := make(chan error, 1)
	go func() { done <- sh.Execute(context.Background(), "udp send -p 5000 -r 10.0.0.2:9000 hello") }()
	buf := make([]byte, 100)
	n, from, err := k.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("kernel read %q from %v: %v", buf[:n], from, err)
	}
	if _, err := k.WriteToUDPAddrPort([]byte("hello back"), from); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("udp send -r: %v\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("udp send -r did not end")
	}

	before := len(out.String())
	run("capture stop")
	stopped := out.String()[before:]
	m := regexp.MustCompile(`^(\d+) packets? captured to `).FindStringSubmatch(stopped)
	if m == nil {
		t.Fatalf("capture stop printed %q", stopped)
	}
	count, _ := strconv.Atoi(m[1])

	var said strings.Builder
	cmd := exec.Command(tcpdump, "-nr", file)
	cmd.Stderr = &said
	dump, err := cmd.Output()
	if err != nil {
		t.Fatalf("tcpdump -nr %s: %v", file, err)
	}
	// The file's snapshot length is tcpdump's own default.
	if want := "snapshot length 262144"; !strings.Contains(said.String(), want) {
		t.Errorf("tcpdump -nr says %q, want %q", said.String(), want)
	}
	lines := strings.Split(strings.TrimSuffix(string(dump), "\n"), "\n")
	if len(lines) != count {
		t.Errorf("tcpdump read %d packets, capture stop said %d:\n%s", len(lines), count, dump)
	}
	t.Logf("capture stop: %stcpdump -nr:\n%s", stopped, dump)
	for _, want := range []string{
		`IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo request, id \d+, seq 1, length 64`,
		`IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo reply, id \d+, seq 2, length 64`,
		`IP 10\.0\.0\.1\.5000 > 10\.0\.0\.2\.9000: UDP, length 5`,
		`IP 10\.0\.0\.2\.9000 > 10\.0\.0\.1\.5000: UDP, length 10`,
		`ARP, Request who-has 10\.0\.0\.2 tell 10\.0\.0\.1`,
		`ARP, Reply 10\.0\.0\.2 is-at `,
	} {
		if !regexp.MustCompile(want).Match(dump) {
			t.Errorf("tcpdump -nr has no line matching %s:\n%s", want, dump)
		}
	}
}
