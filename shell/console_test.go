package shell

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// A background line steps around the command's unfinished line: the
// unfinished line is erased, the line printed, the unfinished line
// printed again; the command then finishes its line where it left it.
func TestConsoleBackgroundLineAroundUnfinishedLine(t *testing.T) {
	var screen bytes.Buffer
	c := newConsole(&screen, func() int { return 80 })
	fg, bg := foreground{c}, background{c}
	io.WriteString(fg, "traceroute to 10.0.1.2\n 1 ")
	io.WriteString(bg, "icmp <- sim0   ICMP time exceeded")
	io.WriteString(fg, " 10.0.0.254  0.1 ms\n")
	io.WriteString(bg, "udp  -> -      UDP\n")
	want := "traceroute to 10.0.1.2\n 1 " +
		"\r\x1b[J" + "icmp <- sim0   ICMP time exceeded\n" + " 1 " +
		" 10.0.0.254  0.1 ms\n" +
		"udp  -> -      UDP\n"
	if got := screen.String(); got != want {
		t.Errorf("screen bytes:\n got %q\nwant %q", got, want)
	}
}

// An unfinished line wider than the terminal is erased from its first
// row.
func TestConsoleErasesAWrappedLine(t *testing.T) {
	var screen bytes.Buffer
	c := newConsole(&screen, func() int { return 10 })
	io.WriteString(foreground{c}, "\x1b[32m"+strings.Repeat("x", 25)+"\x1b[0m") // 3 rows; the escapes take none
	screen.Reset()
	io.WriteString(background{c}, "bg\n")
	if want := "\r\x1b[2A\x1b[J"; !strings.HasPrefix(screen.String(), want) {
		t.Errorf("erase: got %q, want it to start %q", screen.String(), want)
	}
}

// After a command, an unfinished line is ended so the prompt starts its
// own; escapes alone (clear) leave nothing to end.
func TestConsoleEndCommand(t *testing.T) {
	for _, c := range []struct{ out, want string }{
		{"done\n", "done\n"},
		{"no newline", "no newline\n"},
		{"\x1b[H\x1b[2J", "\x1b[H\x1b[2J"},
	} {
		var screen bytes.Buffer
		con := newConsole(&screen, func() int { return 80 })
		io.WriteString(foreground{con}, c.out)
		con.endCommand()
		if screen.String() != c.want {
			t.Errorf("after %q: screen %q, want %q", c.out, screen.String(), c.want)
		}
	}
}

// Notice prints one whole line: through the console at a terminal, on
// the error stream otherwise.
func TestNotice(t *testing.T) {
	var out, errOut, screen bytes.Buffer
	sh := New(nil, &out, &errOut)
	sh.Notice("tap0: device removed")
	if errOut.String() != "tap0: device removed\n" || out.Len() != 0 {
		t.Errorf("without a terminal: stdout %q, stderr %q", out.String(), errOut.String())
	}
	errOut.Reset()
	con := newConsole(&screen, func() int { return 80 })
	sh.console.Store(con)
	io.WriteString(foreground{con}, "PING")
	sh.Notice("tap0: device removed\n")
	if want := "PING\r\x1b[Jtap0: device removed\nPING"; screen.String() != want || errOut.Len() != 0 {
		t.Errorf("at a terminal: screen %q, want %q; stderr %q", screen.String(), want, errOut.String())
	}
}

// Ctrl-C reaches the line editor after the keys before it and End, in a
// read of its own, and is remembered; what follows it is dropped.
func TestKeyReaderCtrlC(t *testing.T) {
	k := &keyReader{r: strings.NewReader("abc\x03def")}
	var reads []string
	buf := make([]byte, 64)
	for range 2 {
		n, err := k.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		reads = append(reads, string(buf[:n]))
	}
	if got, want := strings.Join(reads, "|"), "abc\x05|\x03"; got != want || !k.interrupted.Load() {
		t.Errorf("reads %q (interrupted %v), want %q (true)", got, k.interrupted.Load(), want)
	}
	if n, err := k.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("after Ctrl-C: %q, %v; want nothing, EOF", buf[:n], err)
	}
}

// A Ctrl-C read with the Enter before it is for the command that line
// starts: the line goes to the editor, the Ctrl-C and what follows do not.
func TestKeyReaderCtrlCAfterEnter(t *testing.T) {
	var command atomic.Bool
	command.Store(true)
	k := &keyReader{r: strings.NewReader("sleep 5\recho x\x03def"), command: &command}
	buf := make([]byte, 64)
	n, err := k.Read(buf)
	if err != nil || string(buf[:n]) != "sleep 5\r" || !k.commandCtrlC.Load() || k.interrupted.Load() {
		t.Errorf("read %q, %v (for the command %v, at the prompt %v), want %q (true, false)",
			buf[:n], err, k.commandCtrlC.Load(), k.interrupted.Load(), "sleep 5\r")
	}
	if n, err := k.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("after Ctrl-C: %q, %v; want nothing, EOF", buf[:n], err)
	}
}

// A line snc -c reads keeps the Ctrl-C after it, as before: it ends
// snc's reading.
func TestKeyReaderCtrlCAfterEnterForSnc(t *testing.T) {
	var command atomic.Bool // false: not a command line
	k := &keyReader{r: strings.NewReader("abc\r\x03def"), command: &command}
	buf := make([]byte, 64)
	n, _ := k.Read(buf)
	if string(buf[:n]) != "abc\r\x05" || k.commandCtrlC.Load() {
		t.Errorf("read %q (for a command %v), want %q (false)", buf[:n], k.commandCtrlC.Load(), "abc\r\x05")
	}
}

// History keeps a line once (typed again, it moves to the end), drops
// blank lines, keeps at most historyLimit, and reads back what it saved.
func TestHistory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hist")
	h := loadHistory(file)
	for _, l := range []string{"echo one", "echo two", "  ", "echo one", "ping 10.0.0.2"} {
		h.Add(l)
	}
	want := []string{"ping 10.0.0.2", "echo one", "echo two"} // most recent first
	check := func(h *history, what string) {
		t.Helper()
		var got []string
		for i := range h.Len() {
			got = append(got, h.At(i))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: %q, want %q", what, got, want)
		}
	}
	check(h, "in memory")
	check(loadHistory(file), "read back")
	for i := range historyLimit + 5 {
		h.Add(fmt.Sprintf("echo %d", i))
	}
	if h.Len() != historyLimit || h.At(0) != fmt.Sprintf("echo %d", historyLimit+4) {
		t.Errorf("%d lines kept, most recent %q; want %d, the last added", h.Len(), h.At(0), historyLimit)
	}
	if data, _ := os.ReadFile(file); strings.Count(string(data), "\n") != h.Len() {
		t.Errorf("file has %d lines, memory %d", strings.Count(string(data), "\n"), h.Len())
	}
}
