package shell_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// httpd serves a directory and curl fetches from it, each on its own
// shell: bodies byte for byte (stdout, -o, > FILE), -I's header block, a
// 404 whose body curl prints without failing, httpd's log line per
// request, and after Ctrl-C the port refuses.
func TestCurlFromHttpd(t *testing.T) { forEachTCPWorld(t, testCurlFromHttpd) }

func testCurlFromHttpd(t *testing.T, w tcpWorld) {
	dir := t.TempDir()
	big := make([]byte, 1<<20+3)
	rand.Read(big)
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644)
	server, client := w.pair(t)
	stop, _ := server.start(t, "httpd -d "+dir+" "+w.server+":0")
	addr := server.listening(t)
	url := "http://" + addr
	outDir := t.TempDir()
	fileO, fileR := filepath.Join(outDir, "o.bin"), filepath.Join(outDir, "r.bin")

	cases := []struct {
		line   string
		stdout string // exact; "-": not checked
		file   string // holds big.bin afterwards
	}{
		{line: "curl " + url + "/hello.txt", stdout: "hello\n"},
		{line: "curl " + addr + "/hello.txt", stdout: "hello\n"}, // http:// left out
		{line: "curl " + url + "/missing", stdout: "404 page not found\n"},
		{line: "curl -o " + fileO + " " + url + "/big.bin", stdout: "", file: fileO},
		{line: "curl " + url + "/big.bin > " + fileR, stdout: "", file: fileR},
		{line: "curl -m 10 -I " + url + "/hello.txt", stdout: "-"},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			client.out.Reset()
			if err := client.sh.Execute(t.Context(), c.line); err != nil {
				t.Fatal(err)
			}
			if got := client.out.String(); c.stdout != "-" && got != c.stdout {
				t.Errorf("printed %q, want %q", got, c.stdout)
			}
			if c.file != "" {
				got, err := os.ReadFile(c.file)
				if err != nil || sha256.Sum256(got) != sha256.Sum256(big) {
					t.Errorf("%s: %d bytes (%v), not the %d of big.bin", c.file, len(got), err, len(big))
				}
			}
		})
	}
	head := client.out.String() // the -I case, last
	for _, want := range []string{"HTTP/1.1 200 OK\r\n", "\r\nContent-Length: 6\r\n", "\r\nContent-Type: text/plain; charset=utf-8\r\n"} {
		if !strings.Contains(head, want) {
			t.Errorf("curl -I printed %q, want %q in it", head, want)
		}
	}
	if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(head, "\r\n\r\n") {
		t.Errorf("curl -I printed %q: want the status line first and a blank line last", head)
	}

	if err := stop(); err != nil {
		t.Errorf("httpd after Ctrl-C: %v", err)
	}
	log := server.out.String()
	if !strings.HasPrefix(log, "httpd: serving "+dir+" on http://"+addr+"/ (Ctrl-C stops)\n") {
		t.Errorf("httpd began with %q", firstLine(log))
	}
	for _, re := range []string{
		regexp.QuoteMeta(w.peer) + ` - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /hello\.txt HTTP/1\.1" 200 6\n`,
		`"GET /missing HTTP/1\.1" 404 19\n`,
		`"GET /big\.bin HTTP/1\.1" 200 1048579\n`,
		`"HEAD /hello\.txt HTTP/1\.1" 200 0\n`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("httpd's log lacks %s:\n%s", re, log)
		}
	}
	if n := strings.Count(log, "\n"); n != 1+len(cases) {
		t.Errorf("httpd wrote %d lines for %d requests:\n%s", n, len(cases), log)
	}
	err := client.sh.Execute(t.Context(), "curl "+url+"/")
	if want := "curl: (7) Failed to connect to " + w.server + " port " + port(addr) + ": Connection refused"; err == nil || err.Error() != want {
		t.Errorf("curl after httpd stopped: %v, want %q", err, want)
	}
}

// curl -I and -i print the header block as the server sent it: its
// order (not sorted), its capitalisation (not canonical), a repeated
// header where it came, bare-LF lines as they are, and a 1xx response
// before the final one; -i then the body, -I none (it asked with HEAD).
func TestCurlPrintsHeadersAsReceived(t *testing.T) { forEachTCPWorld(t, testCurlHeadersAsReceived) }

func testCurlHeadersAsReceived(t *testing.T, w tcpWorld) {
	const early = "HTTP/1.1 103 Early Hints\r\nlink: </s.css>; rel=preload\r\n\r\n"
	const block = "HTTP/1.1 200 Fine Thanks\r\nserver: odd/1\r\nX-ZULU: z\r\nset-cookie: b=2\r\n" +
		"content-TYPE: text/plain\r\nSet-Cookie: a=1\nAAA-First-Alpha: 1\r\nContent-Length: 5\r\n\r\n"
	server, client := w.pair(t)
	for _, c := range []struct{ flag, method, want string }{
		{"-I", "HEAD", early + block},
		{"-i", "GET", early + block + "hello"},
	} {
		t.Run(c.flag, func(t *testing.T) {
			methods := make(chan string, 1)
			addr := server.serveOne(t, w.server, func(conn net.Conn) {
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					methods <- err.Error()
					return
				}
				methods <- req.Method
				reply := early + block
				if req.Method == "GET" {
					reply += "hello"
				}
				conn.Write([]byte(reply))
			})
			client.out.Reset()
			if err := client.sh.Execute(t.Context(), "curl "+c.flag+" http://"+addr+"/"); err != nil {
				t.Fatal(err)
			}
			if m := <-methods; m != c.method {
				t.Errorf("curl %s asked with %s, want %s", c.flag, m, c.method)
			}
			if got := client.out.String(); got != c.want {
				t.Errorf("curl %s printed\n%q\nwant\n%q", c.flag, got, c.want)
			}
		})
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func port(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

func TestCurlErrors(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	silent := goServer(t, func(c *net.TCPConn) { <-hold })
	hangUp := goServer(t, func(c *net.TCPConn) { bufio.NewReader(c).ReadString('\n') })
	reset := goServer(t, func(c *net.TCPConn) {
		http.ReadRequest(bufio.NewReader(c))
		c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"))
		c.SetLinger(0) // close with RST
	})
	answers := goServer(t, func(c *net.TCPConn) {
		http.ReadRequest(bufio.NewReader(c))
		c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"))
	})
	closed := closedPort(t)
	cases := []struct{ line, want string }{
		{"curl http://" + closed + "/", "curl: (7) Failed to connect to 127.0.0.1 port " + port(closed) + ": Connection refused"},
		{"curl -m 0.3 http://" + silent + "/", `^curl: \(28\) Operation timed out after \d+ milliseconds with 0 bytes received$`},
		{"curl http://" + hangUp + "/", `^curl: \(52\) Empty reply from server$`},
		{"curl http://" + reset + "/", `^curl: \(56\) Recv failure: Connection reset by peer$`},
		{"curl https://127.0.0.1/", `curl: \(1\) Protocol "https" not supported`},
		{"curl http://example.org/", `^curl: \(6\) Could not resolve host: example\.org`},
		{"curl http://", `^curl: \(3\) URL rejected`},
		{"curl http://127.0.0.1:99999/", `^curl: \(3\) URL rejected: Port number was not a decimal number between 1 and 65535$`},
		{"curl http://127.0.0.1:0/", `^curl: \(3\) URL rejected: Port number`},
		{"curl -o /nonexistent/f http://" + answers + "/", `^curl: \(23\) Failure writing output to destination: /nonexistent/f: no such file or directory$`},
		{"curl", "give one URL"},
		{"curl -m x http://127.0.0.1/", "curl: -m x: invalid argument (give seconds from 0.001 to 86400)"},
	}
	l := newTCPShell(t)
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			err := l.sh.Execute(t.Context(), c.line)
			if err == nil || !regexp.MustCompile(regexp.QuoteMeta(c.want)).MatchString(err.Error()) && !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("%v, want an error matching %q", err, c.want)
			}
		})
	}
}

func TestHttpdErrors(t *testing.T) {
	l := newTCPShell(t)
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cases := []struct{ line, want string }{
		{"httpd", "give the port to serve on"},
		{"httpd -d /nonexistent 8000", "httpd: -d /nonexistent: no such file or directory"},
		{"httpd -d " + file + " 8000", "httpd: -d " + file + ": not a directory"},
		{"httpd 70000", `httpd: "70000": want [ADDR:]PORT`},
		{"httpd " + ln.Addr().String(), "httpd: listen on " + ln.Addr().String() + ": Address already in use"},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			err := l.sh.Execute(t.Context(), c.line)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v, want an error containing %q", err, c.want)
			}
		})
	}
}

// Ctrl-C stops a transfer that would otherwise wait for ever.
func TestCurlCtrlC(t *testing.T) { forEachTCPWorld(t, testCurlCtrlC) }

func testCurlCtrlC(t *testing.T, w tcpWorld) {
	hold := make(chan struct{})
	defer close(hold)
	accepted := make(chan struct{})
	server, l := w.pair(t)
	silent := server.serveOne(t, w.server, func(net.Conn) { close(accepted); <-hold })
	stop, _ := l.start(t, "curl http://"+silent+"/")
	<-accepted
	if err := stop(); err != nil {
		t.Errorf("curl after Ctrl-C: %v, want nil", err)
	}
}

// failingTCP fails every dial with err, as the stack's TCP does when a
// host does not answer (ETIMEDOUT) or is unreachable.
type failingTCP struct{ err error }

func (f failingTCP) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: network, Err: f.err}
}

func (f failingTCP) Listen(network, address string) (net.Listener, error) { return nil, f.err }

func TestCurlConnectFailures(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{syscall.ETIMEDOUT, `^curl: \(28\) Failed to connect to 10\.0\.0\.9 port 80 after \d+ ms: Connection timed out$`},
		{syscall.EHOSTUNREACH, `^curl: \(7\) Failed to connect to 10\.0\.0\.9 port 80: No route to host$`},
	}
	for _, c := range cases {
		l := newTCPShell(t)
		l.sh.TCP = failingTCP{c.err}
		err := l.sh.Execute(t.Context(), "curl http://10.0.0.9/")
		if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
			t.Errorf("dial failing with %v: %v, want %s", c.err, err, c.want)
		}
	}
}
