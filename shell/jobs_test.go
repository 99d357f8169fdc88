package shell_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/stack"
)

// jobLab is our stack (10.0.0.1, with TCP) and its shell, on a pipe wire
// to a peer (10.0.0.2); its output is read while jobs write it.
type jobLab struct {
	sh       *shell.Shell
	out, err *syncbuf.Buffer
}

func newJobLab(t *testing.T) *jobLab {
	t.Helper()
	a, _, _, _ := stacktest.Pair(t, 7, stack.Config{}, stack.Config{})
	l := &jobLab{out: &syncbuf.Buffer{}, err: &syncbuf.Buffer{}}
	l.sh = shell.New(a, l.out, l.err)
	t.Cleanup(func() { l.sh.Close() })
	return l
}

// must runs line in the foreground and fails the test if it fails.
func (l *jobLab) must(t *testing.T, line string) {
	t.Helper()
	if err := l.sh.Execute(t.Context(), line); err != nil {
		t.Fatalf("%s: %v\nstderr:\n%s", line, err, l.err.String())
	}
}

// waitOutput polls out until re matches it, for at most 10 s.
func waitOutput(t *testing.T, out *syncbuf.Buffer, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if s := out.String(); rx.MatchString(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("never matched %q:\n%s", re, out.String())
		}
	}
}

// httpd in the background while curl and ping run in the foreground, on
// the stack's own TCP; jobs lists it, kill %1 stops it. Its lines carry
// its number, whole; the shell says when it starts and ends, as bash does.
func TestJobHttpdWhileCurlAndPing(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644)
	l := newJobLab(t)
	l.must(t, "httpd -d "+dir+" 8080 &")
	if want := "[1] started  httpd -d " + dir + " 8080\n"; l.err.String() != want {
		t.Errorf("on start (-want +got):\n-%q\n+%q", want, l.err.String())
	}
	waitOutput(t, l.out, `(?m)^\[1\] httpd: serving `+regexp.QuoteMeta(dir)+` on http://0\.0\.0\.0:8080/ \(Ctrl-C stops\)$`)

	l.must(t, "curl http://10.0.0.1:8080/hello.txt")
	l.must(t, "ping -c 2 -i 0.2 10.0.0.2")
	l.must(t, "jobs")
	out := waitOutput(t, l.out, `(?m)^\[1\] 10\.0\.0\.1 - - \[.*\] "GET /hello\.txt HTTP/1\.1" 200 6$`)
	for _, want := range []string{
		"\nhello\n",
		"\n2 packets transmitted, 2 received, 0% packet loss",
		"\n[1]+  Running                 httpd -d " + dir + " 8080 &\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.Contains(line, "httpd") && !strings.HasPrefix(line, "[1] ") && !strings.HasPrefix(line, "[1]+") {
			t.Errorf("a job's line without its number: %q", line)
		}
	}

	l.must(t, "kill %1")
	if want := "[1]+  Terminated              httpd -d " + dir + " 8080\n"; !strings.HasSuffix(l.err.String(), want) {
		t.Errorf("after kill %%1 (-want +got):\n-%q\n+%q", want, l.err.String())
	}
	if err := l.sh.Execute(t.Context(), "curl http://10.0.0.1:8080/"); err == nil || !strings.Contains(err.Error(), "Connection refused") {
		t.Errorf("curl after kill %%1: %v, want Connection refused", err)
	}
	if err := l.sh.Execute(t.Context(), "kill %1"); err == nil || !strings.HasSuffix(l.err.String(), "kill: %1: no such job\n") {
		t.Errorf("kill %%1 again: %v, stderr %q; want kill: %%1: no such job", err, l.err.String())
	}
}

// Numbers, marks and statuses as bash has them: a new job is one more than
// the highest running; + is the last started, - the one before; a failed
// job says Exit 1 and makes the next wait fail, once; one stopped by kill
// has not failed.
func TestJobNumbersAndStatus(t *testing.T) {
	l := newJobLab(t)
	for _, line := range []string{"sleep 100 &", "sleep 101 &", "sleep 102 &", "kill %2", "jobs"} {
		l.must(t, line)
	}
	want := "[1]-  Running                 sleep 100 &\n[3]+  Running                 sleep 102 &\n"
	if got := l.out.String(); got != want {
		t.Errorf("jobs after kill %%2 (-want +got):\n-%s\n+%s", want, got)
	}
	l.must(t, "sleep 103 &")
	if !strings.HasSuffix(l.err.String(), "[2]-  Terminated              sleep 101\n[4] started  sleep 103\n") {
		t.Errorf("stderr:\n%s", l.err.String())
	}
	l.must(t, "kill %- %%")
	l.must(t, "kill %+")
	l.must(t, "wait")
	l.must(t, "sleep 0 &")
	l.must(t, "wait")
	if !strings.HasSuffix(l.err.String(), "[1] started  sleep 0\n[1]+  Done                    sleep 0\n") {
		t.Errorf("numbering does not start over at 1 with no job left:\n%s", l.err.String())
	}

	l.must(t, "ping &") // fails: no host
	err := l.sh.Execute(t.Context(), "wait")
	if !errors.Is(err, shell.ErrFailed) {
		t.Errorf("wait after a job failed: %v, want ErrFailed", err)
	}
	for _, want := range []string{"[1] ping: give one destination host\n", "[1] usage: ping ", "[1]+  Exit 1                  ping\n"} {
		if !strings.Contains(l.err.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, l.err.String())
		}
	}
	if err := l.sh.Execute(t.Context(), "wait"); err != nil {
		t.Errorf("a second wait: %v, want nil (the failure was collected)", err)
	}
}

// CMD & on every kind of bad line gets one clear error, and starts nothing.
func TestJobBadLines(t *testing.T) {
	l := newJobLab(t)
	for _, tc := range []struct{ line, want string }{
		{"&", "&: no command to run in the background (CMD &)"},
		{"  & ", "&: no command to run in the background (CMD &)"},
		{"sleep 1 & sleep 2", "&: only at the end of a command (CMD &)"},
		{"sleep 1 && sleep 2", "&&: not supported (one command per line; with -c, ; between them)"},
		{"exit &", "exit: not in the background (leave out the &)"},
		{"wait &", "wait: not in the background (leave out the &)"},
		{"nosuch &", "nosuch: unknown command (help lists them)"},
		{"kill", "kill: name the job to stop, like %1 (jobs lists them)\nusage: kill %N [%N...]"},
		{"kill 1234", "command failed"},
		{"wait %1", "wait: no arguments (it waits for every job; kill %N stops one)\nusage: wait"},
	} {
		err := l.sh.Execute(t.Context(), tc.line)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v, want %q", tc.line, err, tc.want)
		}
	}
	if !strings.Contains(l.err.String(), "kill: 1234: not a job (give %N, as jobs numbers them)\n") {
		t.Errorf("kill 1234 said %q", l.err.String())
	}
	l.out.Reset()
	l.must(t, "echo 'a & b' &")
	l.must(t, "wait")
	if got := l.out.String(); got != "[1] a & b\n" {
		t.Errorf("a quoted &: %q, want %q", got, "[1] a & b\n")
	}
	l.must(t, "jobs")
	if l.out.String() != "[1] a & b\n" {
		t.Errorf("jobs listed something with none running: %q", l.out.String())
	}
}

// At most MaxJobs run; the shell's end stops them all, as kill does.
func TestJobBound(t *testing.T) {
	l := newJobLab(t)
	for range shell.MaxJobs {
		l.must(t, "sleep 100 &")
	}
	err := l.sh.Execute(t.Context(), "sleep 100 &")
	if want := "sleep: too many background jobs (16 run; kill %N or wait for them)"; err == nil || err.Error() != want {
		t.Errorf("job %d: %v, want %q", shell.MaxJobs+1, err, want)
	}
	if err := l.sh.Close(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(l.err.String(), "Terminated"); n != shell.MaxJobs {
		t.Errorf("%d jobs said Terminated at Close, want %d:\n%s", n, shell.MaxJobs, l.err.String())
	}
	if n := shell.Running(l.sh); n != 0 {
		t.Errorf("%d commands still running after Close", n)
	}
}

// A job's output goes to its file unprefixed with > FILE, and its input
// is the file given with <.
func TestJobRedirection(t *testing.T) {
	l := newJobLab(t)
	dir := t.TempDir()
	file, in := filepath.Join(dir, "out"), filepath.Join(dir, "in")
	os.WriteFile(in, []byte("from the file\n"), 0o644)
	l.must(t, "echo to the file > "+file+" &")
	l.must(t, "wait")
	if got, _ := os.ReadFile(file); string(got) != "to the file\n" {
		t.Errorf("> FILE &: %q, want %q", got, "to the file\n")
	}
	l.must(t, "snc -u -b 10.0.0.1:9 &") // returns once bound
	l.must(t, "snc -u -c 10.0.0.1:9 < "+in+" &")
	waitOutput(t, l.out, `(?m)^\[1\] from the file$`)
	l.must(t, "kill %1")
	l.must(t, "wait")
}

// A job never reads the shell's input: snc -c in the background sends
// nothing and ends, and the script's next line is still a command.
func TestJobReadsNoInput(t *testing.T) {
	l := newJobLab(t)
	script := "snc -u -c 10.0.0.1:9 &\nthis line is not for snc\nwait\n"
	err := l.sh.RunScript(strings.NewReader(script))
	if err == nil || !strings.Contains(l.err.String(), "this: unknown command") {
		t.Errorf("the line after snc -c & was not run as a command: %v\n%s", err, l.err.String())
	}
	if !strings.Contains(l.err.String(), "[1]+  Done                    snc -u -c 10.0.0.1:9\n") {
		t.Errorf("snc -c in the background did not end at once:\n%s", l.err.String())
	}
}

// wait returns at Ctrl-C and leaves the jobs running; the end of a script
// stops what still runs, and only a collected failure sets its status.
func TestJobWaitCtrlCAndScriptEnd(t *testing.T) {
	l := newJobLab(t)
	l.must(t, "sleep 100 &")
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- l.sh.Execute(ctx, "wait") }()
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("wait stopped by Ctrl-C: %v, want nil", err)
	}
	l.must(t, "jobs")
	if !strings.Contains(l.out.String(), "[1]+  Running                 sleep 100 &") {
		t.Errorf("after Ctrl-C in wait, jobs said %q", l.out.String())
	}
	l.must(t, "kill %1")

	for _, tc := range []struct {
		script string
		fails  bool
	}{
		{"ping &\necho not waited", false},
		{"ping &\nwait", true},
		{"sleep 100 &\necho left running", false},
	} {
		l.err.Reset()
		err := l.sh.RunScript(strings.NewReader(tc.script))
		if (err != nil) != tc.fails {
			t.Errorf("%q: %v, want failure %v", tc.script, err, tc.fails)
		}
		if n := shell.Running(l.sh); n != 0 {
			t.Errorf("%q: %d commands still running after the script", tc.script, n)
		}
	}
	if !strings.HasSuffix(l.err.String(), "[1]+  Terminated              sleep 100\n") {
		t.Errorf("the script's end did not stop its job:\n%s", l.err.String())
	}
}

// tapip -c takes the same syntax: CMD & between the semicolons. A server
// started so is listening when the next command runs: curl finds it
// without a sleep between them.
func TestJobInCommands(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644)
	l := newJobLab(t)
	err := l.sh.RunCommands("httpd -d " + dir + " 8080 > " + filepath.Join(dir, "log") + " &; curl http://10.0.0.1:8080/hello.txt; sleep 100 &; jobs; kill %1 %2")
	if err != nil {
		t.Fatalf("%v\n%s", err, l.err.String())
	}
	want := "hello\n[1]-  Running                 httpd -d " + dir + " 8080 > " + filepath.Join(dir, "log") + " &\n[2]+  Running                 sleep 100 &\n"
	if l.out.String() != want {
		t.Errorf("stdout (-want +got):\n-%s\n+%s", want, l.out.String())
	}
	want = "[1] started  httpd -d " + dir + " 8080 > " + filepath.Join(dir, "log") + "\n[2] started  sleep 100\n"
	if !strings.HasPrefix(l.err.String(), want) || strings.Count(l.err.String(), "Terminated") != 2 {
		t.Errorf("stderr: want it to start %q and say Terminated twice:\n%s", want, l.err.String())
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "log")); !strings.Contains(string(log), `"GET /hello.txt HTTP/1.1" 200 6`) {
		t.Errorf("httpd's log: %q", log)
	}
}
