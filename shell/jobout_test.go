package shell

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// A job's output goes out whole lines at a time, each after its number: an
// unfinished line waits for its end (or the job's), one too long for the
// console to hold goes out as it is.
func TestJobOutputWholeLines(t *testing.T) {
	var to bytes.Buffer
	w := &jobOutput{prefix: "[2] ", to: &to}
	var writes []string
	step := func(s string) {
		to.Reset()
		io.WriteString(w, s)
		writes = append(writes, to.String())
	}
	step("PING 10.0.0.2\n64 bytes")
	step(" from 10.0.0.2")
	step(": icmp_seq=1\n\n")
	step(strings.Repeat("x", maxPartial+1))
	step("tail")
	to.Reset()
	w.flush()
	writes = append(writes, to.String())
	want := []string{
		"[2] PING 10.0.0.2\n",
		"",
		"[2] 64 bytes from 10.0.0.2: icmp_seq=1\n[2] \n",
		"[2] " + strings.Repeat("x", maxPartial+1) + "\n",
		"",
		"[2] tail\n",
	}
	for i := range want {
		if writes[i] != want[i] {
			t.Errorf("write %d (-want +got):\n-%q\n+%q", i, want[i], writes[i])
		}
	}
}

// At a terminal a job's lines go above the prompt, around the foreground
// command's unfinished line, as debug's do.
func TestJobOutputAtTheConsole(t *testing.T) {
	var screen bytes.Buffer
	c := newConsole(&screen, func() int { return 80 })
	fg := foreground{c}
	job := &jobOutput{prefix: "[1] ", to: offPrompt(fg)}
	io.WriteString(fg, " 1 ")
	io.WriteString(job, "10.0.0.1 - - \"GET / HTTP/1.1\" 200 6\n")
	want := " 1 " + "\r\x1b[J" + "[1] 10.0.0.1 - - \"GET / HTTP/1.1\" 200 6\n" + " 1 "
	if got := screen.String(); got != want {
		t.Errorf("screen (-want +got):\n-%q\n+%q", want, got)
	}
	if offPrompt(&screen) != io.Writer(&screen) {
		t.Error("offPrompt changed a writer that is not the console")
	}
}

func TestCutBackground(t *testing.T) {
	for _, tc := range []struct {
		line, cmd string
		bg        bool
		err       string
	}{
		{line: "ping 10.0.0.2", cmd: "ping 10.0.0.2"},
		{line: "httpd 8080 &", cmd: "httpd 8080", bg: true},
		{line: "httpd 8080&  \n", cmd: "httpd 8080", bg: true},
		{line: "httpd 8080 > log &", cmd: "httpd 8080 > log", bg: true},
		{line: "udp send 10.0.0.2:7 'a & b'", cmd: "udp send 10.0.0.2:7 'a & b'"},
		{line: `echo "&" &`, cmd: `echo "&"`, bg: true},
		{line: "echo 'open &", cmd: "echo 'open &"},
		{line: "# comment & more", cmd: "# comment & more"},
		{line: "a & b", err: "&: only at the end of a command (CMD &)"},
		{line: "a &&", err: "&&: not supported (one command per line; with -c, ; between them)"},
		{line: " &", err: "&: no command to run in the background (CMD &)"},
	} {
		cmd, bg, err := cutBackground(tc.line)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil || cmd != tc.cmd || bg != tc.bg {
			t.Errorf("cutBackground(%q) = %q, %v, %v; want %q, %v", tc.line, cmd, bg, err, tc.cmd, tc.bg)
		}
	}
}

// Tab after kill offers the running jobs.
func TestKillCompletesJobs(t *testing.T) {
	sh := New(nil, io.Discard, io.Discard)
	defer sh.Close()
	for _, line := range []string{"sleep 100 &", "sleep 100 &"} {
		if err := sh.Execute(t.Context(), line); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(sh.completions([]string{"kill"}, "%"), " ")
	if want := "%1 %2"; got != want {
		t.Errorf("kill %% Tab offers %q, want %q", got, want)
	}
}
