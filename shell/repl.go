package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"

	"github.com/fatih/color"
	"golang.org/x/term"
)

// Prompt is tapip's prompt.
const Prompt = "[net shell]: "

// interrupter cancels the running command on SIGINT (Ctrl-C at a terminal
// in cooked mode, i.e. while a command runs), so ping prints its summary
// and the shell goes on. A script stops at Ctrl-C: onInterrupt, if set, is
// called too, so a script waiting for its next line stops waiting.
type interrupter struct {
	mu          sync.Mutex
	cancel      context.CancelFunc
	interrupted bool
	onInterrupt func()
	stop        func()
	// early, if set, says whether a Ctrl-C came before the command
	// started (typed with its Enter): the command is stopped at once.
	early func() bool
}

func newInterrupter(onInterrupt func()) *interrupter {
	in := &interrupter{onInterrupt: onInterrupt}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	done := make(chan struct{})
	in.stop = func() { signal.Stop(sig); close(done) }
	go func() {
		for {
			select {
			case <-sig:
				in.interrupt()
			case <-done:
				return
			}
		}
	}()
	return in
}

// interrupt is Ctrl-C: it cancels the running command.
func (in *interrupter) interrupt() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.interrupted = true
	if in.cancel != nil {
		in.cancel()
	}
	if in.onInterrupt != nil {
		in.onInterrupt()
	}
}

// run executes one line under a context that SIGINT cancels.
func (in *interrupter) run(sh *Shell, line string) error {
	ctx, cancel := context.WithCancel(context.Background())
	in.mu.Lock()
	in.cancel, in.interrupted = cancel, false
	if in.early != nil && in.early() {
		in.interrupted = true
		cancel()
	}
	in.mu.Unlock()
	err := sh.Execute(ctx, line)
	in.mu.Lock()
	in.cancel = nil
	in.mu.Unlock()
	cancel()
	return err
}

func (in *interrupter) wasInterrupted() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.interrupted
}

// RunInteractive runs the line editor on the terminal (stdin and stdout)
// until exit, quit or Ctrl-D (then it returns nil), or Close (ErrClosed).
// Ctrl-C at the prompt clears the line; during a command it stops the
// command. historyFile keeps the lines typed ("" for none).
func (sh *Shell) RunInteractive(historyFile string) error {
	prompt := Prompt
	if sh.Color {
		prompt = color.New(color.FgGreen, color.Bold).Sprint(Prompt)
	}
	tm, err := openTerminal(os.Stdin, os.Stdout, loadHistory(historyFile), sh.completeKey)
	if err != nil {
		return fmt.Errorf("terminal: %w (commands can come on stdin or with -c instead)", err)
	}
	defer tm.close()
	con := newConsole(tm, tm.columns)
	sh.console.Store(con)
	defer sh.console.Store(nil)
	sh.Out = foreground{con}
	if term.IsTerminal(int(os.Stderr.Fd())) { // else errors go where stderr was sent
		sh.Err = foreground{con}
	}
	defer sh.stopBackground()
	src := newLineSource(tm, tm.showPrompt) // snc -c reads it too, until Ctrl-D or Ctrl-C
	sh.loopInput.Store(src)
	defer sh.loopInput.Store(nil)
	in := newInterrupter(nil)
	in.early = func() bool { return tm.keys.commandCtrlC.Swap(false) }
	defer in.stop()
	return sh.interact(src, in, prompt, func() { sh.flushDebug(); con.endCommand() })
}

// interact reads command lines from src at prompt and runs them until exit,
// quit, end of input or Close.
// After each command, done ends a line the command left unfinished.
func (sh *Shell) interact(src *lineSource, in *interrupter, prompt string, done func()) error {
	for {
		line, err := src.next(sh.life.ctx, prompt)
		switch {
		case err == nil:
		case sh.life.ctx.Err() != nil:
			return ErrClosed
		case errors.Is(err, errInterrupted):
			continue
		case err == io.EOF:
			return nil
		default:
			return err
		}
		err = in.run(sh, strings.TrimSuffix(line, "\n"))
		done()
		switch {
		case errors.Is(err, ErrExit):
			return nil
		case errors.Is(err, ErrClosed):
			return err
		}
		sh.Report(err)
	}
}

// RunScript runs the commands in r, one per line, until EOF, exit or
// Ctrl-C. It returns the error of the last command that failed, so the
// program's exit status says whether anything went wrong; ErrInterrupted
// if Ctrl-C stopped it, or ErrClosed if Close did.
func (sh *Shell) RunScript(r io.Reader) error {
	sh.Script = true
	defer sh.stopBackground()
	ctx, cancel := context.WithCancel(sh.life.ctx) // Ctrl-C ends the wait for a line too
	defer cancel()
	in := newInterrupter(cancel)
	defer in.stop()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineLen+1)
	// snc -c reads the script's next lines, as a program run by sh reads its stdin.
	src := newLineSource(scannerLines{sc}, nil)
	sh.loopInput.Store(src)
	defer sh.loopInput.Store(nil)
	var last error
	for {
		line, err := src.next(ctx, "")
		switch {
		case err == nil:
		case sh.life.ctx.Err() != nil:
			return ErrClosed
		case in.wasInterrupted():
			return ErrInterrupted
		case err == io.EOF:
			return last
		default:
			last = fmt.Errorf("reading commands: %w", err)
			if errors.Is(err, bufio.ErrTooLong) { // not Go's "bufio.Scanner: token too long"
				last = fmt.Errorf("reading commands: a line is too long (at most %d characters)", MaxLineLen)
			}
			sh.Report(last)
			return last
		}
		if err := sh.runOne(in, strings.TrimSuffix(line, "\n"), &last); err != nil {
			return stopped(err, last)
		}
	}
}

// RunCommands runs the ';'-separated commands of line (tapip -c).
func (sh *Shell) RunCommands(line string) error {
	sh.Script = true
	defer sh.stopBackground()
	in := newInterrupter(nil)
	defer in.stop()
	var last error
	cmds, err := splitCommands(line)
	if err != nil {
		sh.Report(err)
		return err
	}
	for _, cmd := range cmds {
		if err := sh.runOne(in, cmd, &last); err != nil {
			return stopped(err, last)
		}
	}
	return last
}

// stopped is what a script returns when runOne stops it with err: ErrClosed
// if the shell was closed, ErrInterrupted at Ctrl-C, else (exit) the last
// failure.
func stopped(err, last error) error {
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrInterrupted) {
		return err
	}
	return last
}

// runOne runs a scripted command, remembering a failure in last. It returns
// non-nil when the script should stop (exit, Ctrl-C, or Close).
func (sh *Shell) runOne(in *interrupter, line string, last *error) error {
	err := in.run(sh, line)
	if errors.Is(err, ErrExit) || errors.Is(err, ErrClosed) {
		return err
	}
	if err != nil {
		sh.Report(err)
		*last = err
	}
	if in.wasInterrupted() {
		return ErrInterrupted
	}
	return nil
}

// splitCommands splits tapip -c's argument at the semicolons that are not
// inside quotes ("udp send 10.0.0.2:7 'a;b'; arpcache" is two commands).
func splitCommands(line string) ([]string, error) {
	var cmds []string
	var q quoting
	start := 0
	for i := 0; i < len(line); i++ {
		if !q.quoted(line[i]) && line[i] == ';' {
			cmds = append(cmds, line[start:i])
			start = i + 1
		}
	}
	if q.open != 0 {
		return nil, fmt.Errorf("unterminated %c quote", q.open)
	}
	return append(cmds, line[start:]), nil
}
