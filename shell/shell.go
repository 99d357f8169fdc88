package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fatih/color"

	"github.com/gotapip/gotapip/capture"
	"github.com/gotapip/gotapip/dhcp"
	"github.com/gotapip/gotapip/stack"
)

// Command is one row of the command table.
type Command struct {
	Name  string
	Usage string // arguments, e.g. "[-c COUNT] HOST"
	Brief string // one line for help
	Help  string // more for help CMD; may be empty
	Run   func(ctx context.Context, sh *Shell, args []string) error
	// Words, if set, are more words Tab offers for the arguments, beside
	// the keywords of Usage (debug's layers, sysctl's names).
	Words func(sh *Shell) []string
}

// ErrFailed means the command failed and has already said so (ping with no
// reply): the shell prints nothing more, but the exit status is non-zero.
var ErrFailed = errors.New("command failed")

// ErrUsage is wrapped by errors about a command's arguments.
var ErrUsage = errors.New("usage")

// ErrExit is returned by exit and quit.
var ErrExit = errors.New("exit")

// ErrInterrupted is returned by RunScript and RunCommands when Ctrl-C
// (SIGINT) stopped the script; a shell exits 128+SIGINT then.
var ErrInterrupted = errors.New("interrupted")

// ErrClosed is returned by Execute and the Run methods once Close has been
// called.
var ErrClosed = errors.New("shell closed")

// Limits on what is typed: a longer line or more words is refused.
const (
	MaxLineLen = 4096
	MaxArgs    = 64
)

// Shell holds the stack and where output goes.
type Shell struct {
	Stack *stack.Stack
	// Out and Err take writes from more than one goroutine once a
	// background job runs (at a terminal the console serialises them;
	// os.Stdout and os.Stderr are safe).
	Out   io.Writer
	Err   io.Writer
	Color bool // colour the prompt and errors (terminal only, never with NO_COLOR)
	// Script says commands come from a script, not a person at a terminal:
	// debug then writes its lines at once, in order, rather than through a
	// queue that never makes the stack wait.
	Script bool
	// TCP is what snc, curl and httpd dial and listen with (dialer.go);
	// nil: the stack's own.
	TCP Dialer

	// A background job runs with a copy of the Shell whose Out and Err are
	// its own (jobs.go); what follows is the state they all share.
	*shared
}

// shared is the state of a shell and of the copies its background jobs
// run with.
type shared struct {
	commands  map[string]*Command
	life      lifecycle
	input     atomic.Pointer[lineSource] // what snc -c reads (SetInput), if set
	loopInput atomic.Pointer[lineSource] // else the running loop's input, if any
	console   atomic.Pointer[console]    // the terminal's output path (RunInteractive), if any
	noticeMu  sync.Mutex                 // a Notice without a console is one whole write

	bg      sync.Mutex       // guards what commands leave running in the background:
	debug   *debugPrinter    // the running debug watch, if any
	capture *capture.Capture // the running capture, if any
	dhcp    *dhcp.Manager    // the DHCP clients, once dhclient ran

	jobs jobTable // the commands run with & (jobs.go)
}

// New returns a shell over s that writes to out and errOut.
func New(s *stack.Stack, out, errOut io.Writer) *Shell {
	sh := &Shell{Stack: s, Out: out, Err: errOut, shared: &shared{commands: map[string]*Command{}}}
	sh.life.init()
	for _, c := range commandTable() {
		sh.commands[c.Name] = c
	}
	return sh
}

// Commands lists the commands sorted by name.
func (sh *Shell) Commands() []*Command {
	out := make([]*Command, 0, len(sh.commands))
	for _, c := range sh.commands {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Execute runs one command line, under a context that ends with ctx or at
// Close. Errors other than ErrFailed, ErrExit and ErrClosed are for the
// caller to print (Report does it the shell's way).
func (sh *Shell) Execute(ctx context.Context, line string) error {
	ctx, done, err := sh.life.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	if len(line) > MaxLineLen {
		return fmt.Errorf("line of %d characters is too long (at most %d)", len(line), MaxLineLen)
	}
	line, background, err := cutBackground(line) // CMD &: jobs.go
	if err != nil {
		return err
	}
	args, redir, err := splitRedirected(line) // redirect.go
	if err != nil {
		return err
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "#") {
		return nil
	}
	if len(args) > MaxArgs {
		return fmt.Errorf("%s: too many arguments (%d, at most %d)", args[0], len(args), MaxArgs)
	}
	c, ok := sh.commands[args[0]]
	if !ok {
		return fmt.Errorf("%s: unknown command (help lists them)", args[0])
	}
	if background {
		return sh.startJob(ctx, c, args[1:], redir, line)
	}
	return sh.run(ctx, c, args[1:], redir)
}

// usageLine is the command and its arguments ("jobs" when it takes none).
func (c *Command) usageLine() string {
	return strings.TrimSpace(c.Name + " " + c.Usage)
}

// run runs c, with < > >> applied (redirect.go); a usage error gets the
// command's usage line.
func (sh *Shell) run(ctx context.Context, c *Command, args []string, redir redirects) error {
	err := redir.run(ctx, sh, c, args)
	if errors.Is(err, ErrUsage) {
		return fmt.Errorf("%w\nusage: %s", err, c.usageLine())
	}
	return err
}

// Report prints err as the shell does, unless the command already did.
func (sh *Shell) Report(err error) {
	if err == nil || errors.Is(err, ErrFailed) || errors.Is(err, ErrExit) || errors.Is(err, ErrClosed) {
		return
	}
	msg := err.Error()
	if sh.Color {
		msg = color.New(color.FgRed).Sprint(msg)
	}
	fmt.Fprintln(sh.Err, msg)
}

// usage builds an error for bad arguments: what was wrong, then the usage.
func usage(format string, args ...any) error {
	return usageError(fmt.Sprintf(format, args...))
}

// splitWords splits a line into words at spaces; single or double quotes
// group words ("udp send 10.0.0.2:7 'hello world'").
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
