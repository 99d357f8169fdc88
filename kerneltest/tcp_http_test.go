//go:build linux

package kerneltest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
)

// HTTP over the stack's TCP against the kernel's, both ways, through the
// tapip binary: the kernel's HTTP client (Go's, its sockets in the
// namespace) fetches from the shell's httpd, and the shell's curl fetches
// from python3 -m http.server in the namespace.

// httpFiles is what each server serves, by size: a small file, an empty
// one, one in a subdirectory and a 3 MB one (many windows, many segments).
var httpFiles = []struct {
	name string
	size int
}{{"small.txt", 26}, {"empty", 0}, {"sub/page.html", 4000}, {"big.bin", 3 << 20}}

// serveDir writes httpFiles under a new directory and returns it with
// each file's SHA-256.
func serveDir(t *testing.T) (string, map[string][32]byte) {
	t.Helper()
	dir := t.TempDir()
	sums := map[string][32]byte{}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, f := range httpFiles {
		sums[f.name] = stacktest.RandomFile(t, filepath.Join(dir, f.name), f.size, uint64(i+10))
	}
	return dir, sums
}

// nsHTTPClient is an HTTP client whose connections are the kernel's
// sockets in ns.
func nsHTTPClient(t *testing.T, ns string) *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		var err error
		nstest.Do(t, ns, func() { c, err = (&net.Dialer{}).DialContext(ctx, "tcp4", addr) })
		return c, err
	}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DialContext: dial}}
}

func TestTCPKernelHTTPClientFetchesFromHttpd(t *testing.T) {
	ns := tcpNetns(t)
	dir, sums := serveDir(t)
	p := startTapip(t, ns, append(tcpTapArgs, "-c", "httpd -d "+dir+" 8000")...)
	p.waitOutput(t, "httpd: serving", 10*time.Second)
	client := nsHTTPClient(t, ns)
	defer client.CloseIdleConnections()
	for _, f := range httpFiles {
		name, want := f.name, sums[f.name]
		resp, err := client.Get("http://10.0.0.1:8000/" + name)
		if err != nil {
			t.Fatalf("GET /%s: %v\nstderr:\n%s", name, err, p.errOut.String())
		}
		got, n, err := stacktest.HashStream(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || got != want || n != resp.ContentLength {
			t.Errorf("GET /%s: status %d, %d bytes of %d, %v; SHA-256 %x, want %x", name, resp.StatusCode, n, resp.ContentLength, err, got, want)
		}
	}
	resp, err := client.Get("http://10.0.0.1:8000/missing")
	if err != nil || resp.StatusCode != 404 {
		t.Errorf("GET /missing: %v, want 404 Not Found", err)
	} else {
		resp.Body.Close()
	}
	client.CloseIdleConnections()
	if status := p.interrupt(t); status != 130 {
		t.Errorf("httpd at Ctrl-C: tapip exit status %d, want 130 (a script stopped by SIGINT)", status)
	}
	// One Common Log Format line per request, from the kernel's address.
	log := p.out.String()
	for _, f := range httpFiles {
		re := regexp.MustCompile(`(?m)^10\.0\.0\.2 - - \[[^]]+\] "GET /` + regexp.QuoteMeta(f.name) + ` HTTP/1\.1" 200 ` + fmt.Sprint(f.size) + `$`)
		if !re.MatchString(log) {
			t.Errorf("httpd logged no line for GET /%s matching %s:\n%s", f.name, re, log)
		}
	}
	if !strings.Contains(log, `"GET /missing HTTP/1.1" 404`) {
		t.Errorf("httpd logged no 404 for /missing:\n%s", log)
	}
}

func TestTCPCurlFetchesFromKernelPythonHTTPServer(t *testing.T) {
	ns := tcpNetns(t)
	if _, err := exec.LookPath("python3"); err != nil {
		nstest.Unavailable(t, "needs python3 (python3 -m http.server is the kernel side's web server)")
	}
	dir, sums := serveDir(t)
	srv := exec.Command("ip", "netns", "exec", ns, "python3", "-m", "http.server", "--bind", "0.0.0.0", "--directory", dir, "8001")
	var srvLog syncbuf.Buffer
	srv.Stdout, srv.Stderr = &srvLog, &srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() }()
	pythonListening(t, ns, "127.0.0.1:8001")

	out := t.TempDir()
	var script []string
	for i, f := range httpFiles {
		script = append(script, fmt.Sprintf("curl -o %s/f%d http://10.0.0.2:8001/%s", out, i, f.name))
	}
	stdout, stderr, status := runTapip(t, ns, "", append(tcpTapArgs, "-c", strings.Join(script, "; "))...)
	if status != 0 {
		t.Fatalf("tapip curl: status %d\nstdout:\n%s\nstderr:\n%s\nserver:\n%s", status, stdout, stderr, srvLog.String())
	}
	for i, f := range httpFiles {
		got, n := stacktest.HashFile(t, fmt.Sprintf("%s/f%d", out, i))
		if got != sums[f.name] || n != int64(f.size) {
			t.Errorf("curl -o of /%s: %d bytes, SHA-256 %x; want %d bytes, %x", f.name, n, got, f.size, sums[f.name])
		}
	}
}

// pythonListening waits until something accepts on addr in ns (python
// takes a moment to start).
func pythonListening(t *testing.T, ns, addr string) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var c net.Conn
		var err error
		nstest.Do(t, ns, func() { c, err = net.DialTimeout("tcp4", addr, time.Second) })
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(end) {
			t.Fatalf("python3 -m http.server is not listening on %s after 20 s: %v", addr, err)
		}
	}
}
