package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Background jobs, as sh(1) has them. CMD & runs the command in the
// background and the prompt is back at once; jobs lists what runs, kill %N
// stops one as Ctrl-C stops a command (its context is cancelled: ping
// prints its summary, httpd lets requests under way finish), wait waits for
// them all. The shell says "[1] started  CMD" when one starts, and as bash
// does when it ends: "[1]+  Done ...", "Exit 1" if it failed, "Terminated"
// if kill stopped it.
//
// A job runs with a copy of the Shell whose Out and Err are its own (the
// state behind them is shared). Where they are the shell's own output, each
// whole line goes out in one write, after "[N] ": at a terminal through the
// console, so no line is torn and the prompt is redrawn. With > FILE the
// file gets the output as it is. A job never reads the terminal: its input
// is empty (snc -c sends nothing) unless given with < FILE.
//
// A job that fails does not change the exit status by itself, as in sh;
// wait fails if one failed since the last wait. What still runs when the
// shell ends (end of a script, exit, Ctrl-D, Close) is stopped as kill
// stops it.

// MaxJobs bounds the background jobs running at once.
const MaxJobs = 16

// listeners are the commands that call listening once bound or connected:
// started in the background, the shell waits for that (up to CloseWait)
// before the next command, so "httpd 8080 &" then "curl" in a script finds
// the server up.
var listeners = map[string]bool{"httpd": true, "snc": true, "udp": true}

// foregroundOnly are the commands that mean nothing in the background.
var foregroundOnly = map[string]bool{"exit": true, "quit": true, "wait": true, "clear": true}

// job is one command run with &.
type job struct {
	id     int
	line   string // as typed, without the &
	cancel context.CancelFunc
	killed atomic.Bool   // stopped by kill or the shell's end
	done   chan struct{} // closed once it has ended and said so
	ready  chan struct{} // closed once it listens, or has ended
	once   sync.Once     // closes ready
}

// listening notes that the job is bound or connected (listening).
func (j *job) listening() { j.once.Do(func() { close(j.ready) }) }

// stop stops the job, as Ctrl-C stops a command.
func (j *job) stop() {
	j.killed.Store(true)
	j.cancel()
}

// jobTable is the shell's running jobs, numbered as bash numbers them: one
// more than the highest running, 1 when none runs.
type jobTable struct {
	mu      sync.Mutex
	running []*job // in the order they started, so by number; the last is the current job (+)
	failed  bool   // a job failed since the last wait
}

func (t *jobTable) add(line string, cancel context.CancelFunc) (*job, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.running) >= MaxJobs {
		return nil, fmt.Errorf("too many background jobs (%d run; kill %%N or wait for them)", MaxJobs)
	}
	id := 1
	if n := len(t.running); n > 0 {
		id = t.running[n-1].id + 1
	}
	j := &job{id: id, line: line, cancel: cancel, done: make(chan struct{}), ready: make(chan struct{})}
	t.running = append(t.running, j)
	return j, nil
}

// markLocked is bash's mark for j: + the current job, - the one before.
func (t *jobTable) markLocked(j *job) byte {
	n := len(t.running)
	switch {
	case n > 0 && t.running[n-1] == j:
		return '+'
	case n > 1 && t.running[n-2] == j:
		return '-'
	}
	return ' '
}

// mark is bash's mark for j.
func (t *jobTable) mark(j *job) byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.markLocked(j)
}

// remove takes j out of the table, noting whether it failed.
func (t *jobTable) remove(j *job, failed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, r := range t.running {
		if r == j {
			t.running = append(t.running[:i], t.running[i+1:]...)
			break
		}
	}
	t.failed = t.failed || failed
}

// list returns the running jobs with their marks.
func (t *jobTable) list() ([]*job, []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	marks := make([]byte, len(t.running))
	for i, j := range t.running {
		marks[i] = t.markLocked(j)
	}
	return append([]*job(nil), t.running...), marks
}

// find returns the job spec names: %N, %% or %+ (the current job), %-.
func (t *jobTable) find(spec string) (*job, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.running)
	switch {
	case !strings.HasPrefix(spec, "%"):
		return nil, fmt.Errorf("%s: not a job (give %%N, as jobs numbers them)", spec)
	case (spec == "%%" || spec == "%+") && n > 0:
		return t.running[n-1], nil
	case spec == "%-" && n > 1:
		return t.running[n-2], nil
	}
	for _, j := range t.running {
		if spec == fmt.Sprintf("%%%d", j.id) {
			return j, nil
		}
	}
	return nil, fmt.Errorf("%s: no such job", spec)
}

// takeFailed says whether a job failed since the last call.
func (t *jobTable) takeFailed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	failed := t.failed
	t.failed = false
	return failed
}

// cutBackground takes a final & off line: "httpd 8080 > log &" runs
// "httpd 8080 > log" in the background. An & anywhere else outside quotes
// is refused; a comment line is left alone.
func cutBackground(line string) (string, bool, error) {
	if strings.HasPrefix(strings.TrimSpace(line), "#") {
		return line, false, nil
	}
	end := strings.TrimRight(line, " \t\r\n")
	var q quoting
	for i := 0; i < len(end); i++ {
		c := end[i]
		switch {
		case q.quoted(c):
		case strings.HasPrefix(end[i:], "&&"):
			return "", false, errors.New("&&: not supported (one command per line; with -c, ; between them)")
		case c == '&' && i < len(end)-1:
			return "", false, errors.New("&: only at the end of a command (CMD &)")
		case c == '&':
			cmd := strings.TrimSpace(end[:i])
			if cmd == "" {
				return "", false, errors.New("&: no command to run in the background (CMD &)")
			}
			return cmd, true, nil
		}
	}
	return line, false, nil // an open quote is splitWords' to report
}

// startJob runs c in the background (Execute, for CMD &); for one of the
// listeners, it returns once the command listens or has ended.
// fg is the context of the line that starts it.
func (sh *Shell) startJob(fg context.Context, c *Command, args []string, redir redirects, line string) error {
	if foregroundOnly[c.Name] {
		return fmt.Errorf("%s: not in the background (leave out the &)", c.Name)
	}
	ctx, ended, err := sh.life.begin(context.Background()) // Close waits for it, as for any command
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	j, err := sh.jobs.add(line, cancel)
	if err != nil {
		cancel()
		ended()
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	view, flush := sh.jobView(j.id)
	ctx = context.WithValue(ctx, stdinKey{}, io.Reader(strings.NewReader(""))) // never the terminal; < FILE overrides
	ctx = context.WithValue(ctx, readyKey{}, j.listening)
	sh.Notice(fmt.Sprintf("[%d] started  %s", j.id, line))
	go func() {
		err := view.run(ctx, c, args, redir)
		j.listening() // or never will
		flush(err)
		ended()
		sh.endJob(j, err) // after ended: who waits for the job sees it gone from the stack
	}()
	if listeners[c.Name] {
		sh.awaitListening(fg, j)
	}
	return nil
}

// awaitListening waits until j listens or has ended, up to CloseWait, or
// until fg ends (Ctrl-C: the job goes on).
func (sh *Shell) awaitListening(fg context.Context, j *job) {
	t := time.NewTimer(sh.life.wait)
	defer t.Stop()
	select {
	case <-j.ready:
	case <-t.C:
	case <-fg.Done():
	}
}

// readyKey carries, in a background job's context, what listening calls.
type readyKey struct{}

// listening says that the command running under ctx is now bound or
// connected. In the foreground it does nothing.
func listening(ctx context.Context) {
	if f, ok := ctx.Value(readyKey{}).(func()); ok {
		f()
	}
}

// jobView returns the Shell job id runs with: Out and Err print whole
// lines after "[id] ", off the prompt at a terminal. flush ends them at
// the job's end, after reporting its error.
func (sh *Shell) jobView(id int) (*Shell, func(error)) {
	view := *sh
	prefix := fmt.Sprintf("[%d] ", id)
	out := &jobOutput{prefix: prefix, to: offPrompt(sh.Out)}
	errOut := &jobOutput{prefix: prefix, to: offPrompt(sh.Err)}
	view.Out, view.Err = out, errOut
	return &view, func(err error) {
		out.flush()
		view.Report(err)
		errOut.flush()
	}
}

// endJob says that j ended, as bash does, and takes it out of the table.
func (sh *Shell) endJob(j *job, err error) {
	status, failed := "Done", false
	switch {
	case j.killed.Load():
		status = "Terminated"
	case err != nil:
		status, failed = "Exit 1", true // tapip's status for a failed command
	}
	sh.Notice(fmt.Sprintf("[%d]%c  %-24s%s", j.id, sh.jobs.mark(j), status, j.line))
	sh.jobs.remove(j, failed) // after the line: who finds it gone from the table has seen the line
	close(j.done)
}

// stopJobs stops every job, as kill does, and waits up to CloseWait for
// them to end. The Run methods call it when they return.
func (sh *Shell) stopJobs() {
	jobs, _ := sh.jobs.list()
	for _, j := range jobs {
		j.stop()
	}
	sh.awaitJobs(context.Background(), jobs)
}

// awaitJobs waits for jobs to end, up to CloseWait (they return within
// milliseconds of being stopped), or until ctx ends.
func (sh *Shell) awaitJobs(ctx context.Context, jobs []*job) {
	ctx, cancel := context.WithTimeout(ctx, sh.life.wait)
	defer cancel()
	for _, j := range jobs {
		select {
		case <-j.done:
		case <-ctx.Done():
			return
		}
	}
}
