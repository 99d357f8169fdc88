package shell_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A few MB of random bytes go from a file through snc -c < FILE to snc -b
// > FILE on another shell, and arrive whole: the same SHA-256.
func TestSncFileByteForByte(t *testing.T) { forEachTCPWorld(t, testSncFileByteForByte) }

func testSncFileByteForByte(t *testing.T, w tcpWorld) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin")
	data := make([]byte, 3<<20+7)
	rand.Read(data)
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	recv, send := w.pair(t)
	_, received := recv.start(t, "snc -b "+w.server+":0 > "+out)
	addr := recv.listening(t)
	if err := send.sh.Execute(t.Context(), "snc -c "+addr+" < "+in); err != nil {
		t.Fatalf("snc -c: %v", err)
	}
	if err := received(); err != nil { // the one connection ended: snc -b returns
		t.Fatalf("snc -b: %v", err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Errorf("received %d bytes with another SHA-256 than the %d sent", len(got), len(data))
	}
	if send.out.String() != "" || recv.out.String() != "" {
		t.Errorf("output on the terminals: sender %q, receiver %q", send.out, recv.out)
	}
	if !strings.Contains(recv.err.String(), "snc: listening on "+w.server+":") {
		t.Errorf("snc -b on port 0 said %q, want the port it took", recv.err)
	}
}

// At the end of its input snc -c half-closes and still prints what comes
// back: the peer reads to EOF, answers, then closes.
func TestSncHalfClose(t *testing.T) {
	addr := goServer(t, func(c *net.TCPConn) {
		n, _ := io.Copy(io.Discard, c) // until snc's FIN
		fmt.Fprintf(c, "got %d bytes\n", n)
	})
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.WriteFile(in, bytes.Repeat([]byte("x"), 100000), 0o644)
	l := newTCPShell(t)
	if err := l.sh.Execute(t.Context(), "snc -c "+addr+" < "+in); err != nil {
		t.Fatal(err)
	}
	if got, want := l.out.String(), "got 100000 bytes\n"; got != want {
		t.Errorf("snc -c printed %q, want %q", got, want)
	}
}

// Without < FILE, snc -c sends the lines of the shell's input (a script's
// next lines), then half-closes at its end.
func TestSncSendsScriptLines(t *testing.T) {
	got := make(chan string, 1)
	addr := goServer(t, func(c *net.TCPConn) {
		b, _ := io.ReadAll(c)
		got <- string(b)
		c.Write([]byte("bye\n"))
	})
	l := newTCPShell(t)
	if err := l.sh.RunScript(strings.NewReader("snc -c " + addr + "\nhello\nworld\n")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "hello\nworld\n" {
		t.Errorf("peer received %q, want the script's two lines", s)
	}
	if l.out.String() != "bye\n" {
		t.Errorf("snc printed %q, want the peer's bye", l.out)
	}
}

// snc -c ends when the peer closes, even with input left; and at Ctrl-C
// while the peer stays silent.
func TestSncEnds(t *testing.T) {
	t.Run("peer closes", func(t *testing.T) {
		addr := goServer(t, func(c *net.TCPConn) { c.Write([]byte("go away\n")) })
		l := newTCPShell(t)
		r, w := io.Pipe() // input that never ends
		defer w.Close()
		l.sh.SetInput(r)
		_, wait := l.start(t, "snc -c "+addr)
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		if l.out.String() != "go away\n" {
			t.Errorf("printed %q", l.out)
		}
	})
	forEachTCPWorld(t, func(t *testing.T, tw tcpWorld) {
		hold := make(chan struct{})
		server, l := tw.pair(t)
		addr := server.serveOne(t, tw.server, func(net.Conn) { <-hold })
		defer close(hold)
		r, w := io.Pipe()
		defer w.Close()
		l.sh.SetInput(r)
		stop, _ := l.start(t, "snc -c "+addr)
		w.Write([]byte("a line\n")) // taken: snc is reading
		if err := stop(); err != nil {
			t.Errorf("Ctrl-C: %v, want nil", err)
		}
	})
}

// snc -k serves connections at once: three clients, none closed, all
// printed; Ctrl-C ends it.
func TestSncKeepServesConcurrently(t *testing.T) { forEachTCPWorld(t, testSncKeep) }

func testSncKeep(t *testing.T, w tcpWorld) {
	l, client := w.pair(t)
	stop, _ := l.start(t, "snc -k -b "+w.server+":0")
	addr := l.listening(t)
	var conns []net.Conn
	for i := range 3 {
		c := client.dial(t, addr)
		fmt.Fprintf(c, "client %d\n", i)
		conns = append(conns, c)
	}
	waitUntil(t, "all three clients' lines", func() bool {
		s := l.out.String()
		return strings.Contains(s, "client 0\n") && strings.Contains(s, "client 1\n") && strings.Contains(s, "client 2\n")
	})
	conns[1].Close() // one leaving does not end -k
	c := client.dial(t, addr)
	c.Write([]byte("client 3\n"))
	waitUntil(t, "the fourth client's line", func() bool { return strings.Contains(l.out.String(), "client 3\n") })
	if err := stop(); err != nil {
		t.Errorf("Ctrl-C: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("a client's connection is still open after Ctrl-C")
	}
}

// snc -e echoes back instead of printing, and half-closes after the
// client's FIN; then the one connection is done and snc -b returns.
func TestSncEcho(t *testing.T) { forEachTCPWorld(t, testSncEcho) }

func testSncEcho(t *testing.T, w tcpWorld) {
	l, client := w.pair(t)
	_, wait := l.start(t, "snc -e -b "+w.server+":0")
	c := client.dial(t, l.listening(t))
	c.Write([]byte("ping\nand more"))
	c.(interface{ CloseWrite() error }).CloseWrite()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	back, err := io.ReadAll(c)
	if err != nil || string(back) != "ping\nand more" {
		t.Errorf("echoed %q (%v), want what was sent", back, err)
	}
	if err := wait(); err != nil {
		t.Error(err)
	}
	if l.out.String() != "" {
		t.Errorf("snc -e printed %q", l.out)
	}
}

func TestSncTCPErrors(t *testing.T) {
	l := newTCPShell(t)
	closed := closedPort(t)
	cases := []struct{ line, want string }{
		{"snc -c " + closed, "snc: connect to " + closed + ": Connection refused"},
		{"snc -c 127.0.0.1:0", "snc: -c 127.0.0.1:0: not HOST:PORT"},
		{"snc -b nowhere:1", `snc: -b "nowhere:1": want [ADDR:]PORT`},
		{"snc -b 127.0.0.1:99999", `want [ADDR:]PORT`},
		{"snc -k -c 127.0.0.1:7", "-k and -e go with -b (listen)"},
		{"snc -u -k -b 0.0.0.0:7", "-k and -e are for TCP: leave out -u"},
		{"snc -c 10.0.0.2:7", "test dialer: \"10.0.0.2:7\" is not a loopback address"},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			err := l.sh.Execute(t.Context(), c.line)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v, want an error containing %q", err, c.want)
			}
		})
	}
	busy := l.sh.TCP
	ln, err := busy.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	<-l.tcp.listening
	err = l.sh.Execute(t.Context(), "snc -b "+ln.Addr().String())
	if want := "snc: listen on " + ln.Addr().String() + ": Address already in use"; err == nil || err.Error() != want {
		t.Errorf("snc -b on a busy port: %v, want %q", err, want)
	}
}
