package shell

import (
	"io"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/stack"
)

// fakeTerminal stands for the terminal: each read records its prompt, then
// waits for a line the test types.
type fakeTerminal struct {
	typed chan string // a line typed; closed: Ctrl-D

	mu       sync.Mutex
	prompts  []string // the prompt each read started with, in order
	changed  []string // prompts shown for a read under way
	current  string   // the prompt of the read under way
	reading  int      // reads under way
	mostSeen int      // most reads ever under way at once
}

func (f *fakeTerminal) readLine(prompt string) (string, error) {
	f.mu.Lock()
	f.prompts = append(f.prompts, prompt)
	f.current = prompt
	f.reading++
	f.mostSeen = max(f.mostSeen, f.reading)
	f.mu.Unlock()
	line, ok := <-f.typed
	f.mu.Lock()
	f.reading--
	f.mu.Unlock()
	if !ok {
		return "", io.EOF
	}
	return line + "\n", nil
}

func (f *fakeTerminal) showPrompt(prompt string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changed = append(f.changed, prompt)
	f.current = prompt
}

// waitRead waits until the n-th read is under way showing prompt.
func (f *fakeTerminal) waitRead(t *testing.T, n int, prompt string) {
	t.Helper()
	waitFor(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.prompts) == n && f.reading == 1 && f.current == prompt
	}, "read %d to wait with prompt %q", n, prompt)
}

func waitFor(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 5s waiting for "+format, args...)
		}
	}
}

// A person runs snc -c at the prompt, types a line, presses Ctrl-C while
// snc waits for the next, then types a command: the command goes to the
// shell, not to the network; no read of snc's is left behind, and the
// terminal is never read by two at once.
func TestSncCtrlCLeavesTheNextLineToThePrompt(t *testing.T) {
	sh, peer := pipeLab(t)
	out := &syncbuf.Buffer{}
	sh.Out, sh.Err = out, out
	srv, err := peer.UDP.Listen(netip.MustParseAddrPort("0.0.0.0:9"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	term := &fakeTerminal{typed: make(chan string)}
	src := newLineSource(term, term.showPrompt)
	sh.loopInput.Store(src)
	in := &interrupter{}
	done := make(chan error, 1)
	go func() { done <- sh.interact(src, in, Prompt, func() {}) }()

	term.waitRead(t, 1, Prompt)
	atPrompt := runtime.NumGoroutine()
	term.typed <- "snc -u -c 10.0.0.2:9"
	term.waitRead(t, 2, "")
	term.typed <- "one"
	if got := stacktest.RecvString(t, srv); got != "one\n" {
		t.Fatalf("peer got %q, want %q", got, "one\n")
	}
	term.waitRead(t, 3, "")
	in.interrupt() // Ctrl-C while snc waits
	term.waitRead(t, 3, Prompt)
	term.typed <- "echo two"
	waitFor(t, func() bool { return strings.Contains(out.String(), "two\n") }, "the shell to run the line typed after Ctrl-C; output %q", out)
	term.waitRead(t, 4, Prompt)
	if q := srv.Info().Queued; q != 0 {
		t.Errorf("%d more datagrams reached the peer after Ctrl-C", q)
	}
	waitFor(t, func() bool { return runtime.NumGoroutine() <= atPrompt }, "goroutines back to %d at the prompt (now %d)", atPrompt, runtime.NumGoroutine())

	close(term.typed) // Ctrl-D
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the shell, at Ctrl-D: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the shell did not end at Ctrl-D")
	}
	term.mu.Lock()
	defer term.mu.Unlock()
	if got, want := strings.Join(term.prompts, "|"), Prompt+"||"+"|"+Prompt; got != want {
		t.Errorf("reads started with prompts %q, want %q (the prompt, snc twice, the prompt)", got, want)
	}
	if len(term.changed) != 1 || term.changed[0] != Prompt {
		t.Errorf("prompts shown for a read under way: %q, want the shell's once", term.changed)
	}
	if term.mostSeen != 1 {
		t.Errorf("%d reads of the terminal at once", term.mostSeen)
	}
}

// pipeLab is a shell on 10.0.0.1 wired to a peer stack on 10.0.0.2.
func pipeLab(t *testing.T) (*Shell, *stack.Stack) {
	t.Helper()
	a, b, _, _ := stacktest.Pair(t, 13, stack.Config{}, stack.Config{})
	return New(a, io.Discard, io.Discard), b
}
