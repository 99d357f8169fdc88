package shell_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Redirection works for any command: > creates or truncates, >> appends,
// with or without spaces; quoted operators are words; the shell's own
// output gets nothing. Bad redirections get an error that says what is
// wrong, and create no file.
func TestRedirect(t *testing.T) {
	dir := t.TempDir()
	l := newTCPShell(t)
	f := func(name string) string { return filepath.Join(dir, name) }
	cases := []struct {
		line       string
		file, want string // the file's content afterwards; "" file: none checked
		stdout     string
		err        string
	}{
		{line: "echo hello > " + f("a"), file: "a", want: "hello\n"},
		{line: "echo more >> " + f("a"), file: "a", want: "hello\nmore\n"},
		{line: "echo new > " + f("a"), file: "a", want: "new\n"},
		{line: "echo tight>" + f("b"), file: "b", want: "tight\n"},
		{line: "echo two words >>" + f("b") + " after", file: "b", want: "tight\ntwo words after\n"},
		{line: "echo 'a > b' \"<c>\"", stdout: "a > b <c>\n"},
		{line: "echo spaced > '" + f("my file") + "'", file: "my file", want: "spaced\n"},
		{line: "echo x < " + f("a") + " > " + f("c"), file: "c", want: "x\n"},
		{line: "echo gone > /dev/null"},
		{line: "echo gone >> /dev/null"},
		{line: "# a comment > " + f("comment")},
		{line: "echo >", err: ">: no file name after it (CMD > FILE, CMD >> FILE, CMD < FILE)"},
		{line: "echo x >> ", err: ">>: no file name after it"},
		{line: "echo x > < " + f("a"), err: ">: no file name after it"},
		{line: "> " + f("d"), err: "no command to redirect (write the command first: CMD > "},
		{line: "echo x < " + f("missing"), err: "echo: < " + f("missing") + ": no such file or directory"},
		{line: "echo x > " + f("nodir/e"), err: "echo: > " + f("nodir/e") + ": no such file or directory"},
		{line: "echo x > " + f("g") + " > " + f("h"), err: "the output already goes to " + f("g") + " (one > or >> per command)"},
		{line: "echo x < " + f("a") + " < " + f("a"), err: "one < per command"},
		{line: "echo x > '" + f("q"), err: "unterminated ' quote"},
		{line: "nosuchcmd > " + f("i"), err: "nosuchcmd: unknown command"},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			l.out.Reset()
			err := l.sh.Execute(context.Background(), c.line)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("error %v, want one containing %q", err, c.err)
			}
			if got := l.out.String(); got != c.stdout {
				t.Errorf("shell output %q, want %q", got, c.stdout)
			}
			if c.file != "" {
				got, err := os.ReadFile(f(c.file))
				if err != nil || string(got) != c.want {
					t.Errorf("%s holds %q (%v), want %q", c.file, got, err, c.want)
				}
			}
		})
	}
	for _, never := range []string{"comment", "d", "i", "g", "h", "q", "e"} {
		if _, err := os.Stat(f(never)); err == nil {
			t.Errorf("a failed or commented line created %s", never)
		}
	}
}

// A command that prints from its own goroutines (ping) is redirected
// whole; what a command leaves running (debug -n) goes back to the
// shell's output once the command has returned.
func TestRedirectPingAndBackground(t *testing.T) {
	l := newUDPLab(t) // its output buffers take concurrent writes
	dir := t.TempDir()
	pingOut, debugOut := filepath.Join(dir, "ping.txt"), filepath.Join(dir, "debug.txt")
	if err := l.sh.Execute(context.Background(), "ping -c 1 10.0.0.2 > "+pingOut); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(pingOut)
	if !strings.Contains(string(got), "1 packets transmitted, 1 received") || l.out.String() != "" {
		t.Errorf("ping > FILE wrote %q to the file and %q to the shell", got, l.out)
	}
	if err := l.sh.Execute(context.Background(), "debug -n icmp > "+debugOut); err != nil {
		t.Fatal(err)
	}
	defer l.sh.Execute(context.Background(), "debug -c")
	if err := l.sh.Execute(context.Background(), "ping -c 1 10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(debugOut)
	if !strings.Contains(string(got), "debug: icmp (in the background") || strings.Contains(string(got), "echo request") {
		t.Errorf("debug -n > FILE: the file holds %q, want its start message and no packets", got)
	}
	waitUntil(t, "the debug lines on the shell's output", func() bool { return strings.Contains(l.out.String(), "echo request") })
}
