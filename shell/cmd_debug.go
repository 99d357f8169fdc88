package shell

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fatih/color"

	"github.com/gotapip/gotapip/netdev"
)

var debugCommand = &Command{
	Name:  "debug",
	Usage: "[-n] [-x] dev|l2|arp|ip|icmp|udp|tcp|all ... | off",
	Brief: "watch packets cross the layers (tapip's debug)",
	Help: `Prints one line per packet per selected layer: <- received, -> sent,
x dropped with the reason; * what a protocol did (tcp: each state change,
each retransmission and why). tcp's lines are tcpdump's, sequence numbers
relative to each side's first (-x draws them absolute). At the prompt it
switches tracing on and returns: the lines keep coming above the prompt
while you type other commands, until debug off (or -c). With no arguments,
says what is being watched. If the terminal cannot keep up, lines are
skipped and counted, never the packets. In scripts (stdin not a terminal,
or tapip -c) lines are written at once, in the order things happened, and
debug LAYER waits there until Ctrl-C, as tcpdump does; -n returns at once.

-x draws each packet under its line as well: the layer's header as the
RFC draws it, with the values filled in (Ethernet, ARP, IPv4, ICMP, UDP,
TCP), then its first 128 bytes in hex and ASCII (dev: the hex alone). A
packet too short for its header gets the hex alone and a note why.`,
	Run:   runDebug,
	Words: debugWords,
}

// debugWords are what Tab offers after debug: the layers, all and off.
func debugWords(*Shell) []string {
	words := []string{"all", "off"}
	for _, l := range netdev.Layers() {
		words = append(words, l.String())
	}
	return words
}

// debugQueueLen bounds the lines waiting to be printed: the stack never
// waits for the terminal.
const debugQueueLen = 1024

// debugPrinter moves formatted lines from the packet path to the terminal.
// An entry may span several lines (debug -x); it is printed whole.
type debugPrinter struct {
	mu      sync.RWMutex // the sink holds it shared; stop exclusively, to close lines
	closed  bool
	sync    bool       // write at once, in causal order (scripts); else queue
	out     io.Writer  // with sync
	outMu   sync.Mutex // with sync: one line at a time
	lines   chan debugEntry
	skipped atomic.Int64
	done    chan struct{}
	draw    bool // -x: each entry is a packet's line, diagram and hex dump
}

// debugEntry is a line to print, or a mark the printer acknowledges when
// it gets there (flush).
type debugEntry struct {
	line    string
	flushed chan struct{}
}

// debugFlushWait bounds how long a finished command waits for the lines
// it caused before the prompt comes back.
const debugFlushWait = 250 * time.Millisecond

// flush waits until the lines queued so far are printed, at most
// debugFlushWait: the traces a command caused come before the next prompt.
func (pr *debugPrinter) flush() {
	mark := debugEntry{flushed: make(chan struct{})}
	pr.mu.RLock()
	queued := false
	if !pr.closed && !pr.sync {
		select {
		case pr.lines <- mark:
			queued = true
		default:
		}
	}
	pr.mu.RUnlock()
	if !queued {
		return
	}
	t := time.NewTimer(debugFlushWait)
	defer t.Stop()
	select {
	case <-mark.flushed:
	case <-t.C:
	}
}

// flushDebug lets the running watch, if any, catch up (flush).
func (sh *Shell) flushDebug() {
	sh.bg.Lock()
	pr := sh.debug
	sh.bg.Unlock()
	if pr != nil {
		pr.flush()
	}
}

// post queues a line, or counts it as skipped if the printer is behind.
func (pr *debugPrinter) post(line string) {
	pr.mu.RLock()
	defer pr.mu.RUnlock()
	if pr.closed {
		return
	}
	if pr.sync {
		pr.outMu.Lock()
		fmt.Fprintln(pr.out, line)
		pr.outMu.Unlock()
		return
	}
	select {
	case pr.lines <- debugEntry{line: line}:
	default:
		pr.skipped.Add(1)
	}
}

func runDebug(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "ncx")
	if err != nil {
		return err
	}
	tr := sh.Stack.Tracer
	if o.has('c') || len(o.args) == 1 && o.args[0] == "off" {
		sh.stopDebug()
		fmt.Fprintln(sh.Out, "debug off")
		return nil
	}
	if len(o.args) == 0 {
		sh.bg.Lock()
		drawing := sh.debugDrawing()
		sh.bg.Unlock()
		fmt.Fprintf(sh.Out, "debug: %s%s\n", layerList(tr.Mask()), drawing)
		return nil
	}
	var mask uint32
	for _, a := range o.args {
		if a == "all" {
			mask = netdev.AllLayers()
			continue
		}
		l, ok := netdev.ParseLayer(a)
		if !ok {
			return usage("debug %s: unknown layer; choose from %s all, or off", a, layerList(netdev.AllLayers()))
		}
		mask |= 1 << l
	}
	if err := sh.startDebug(mask, o.has('x')); err != nil {
		return err
	}
	drawing := ""
	if o.has('x') {
		drawing = ", with diagrams"
	}
	if o.has('n') || !sh.Script {
		fmt.Fprintf(sh.Out, "debug: %s%s (in the background; debug off stops)\n", layerList(mask), drawing)
		return nil
	}
	fmt.Fprintf(sh.Out, "debug: %s%s (until Ctrl-C)\n", layerList(mask), drawing)
	<-ctx.Done()
	sh.stopDebug()
	return nil
}

func layerList(mask uint32) string {
	var names []string
	for _, l := range netdev.Layers() {
		if mask&(1<<l) != 0 {
			names = append(names, l.String())
		}
	}
	if len(names) == 0 {
		return "off"
	}
	return strings.Join(names, " ")
}

// debugDrawing says whether the running watch draws diagrams; sh.bg held.
func (sh *Shell) debugDrawing() string {
	if sh.debug != nil && sh.debug.draw {
		return ", with diagrams"
	}
	return ""
}

// startDebug switches tracing on for mask, replacing any earlier watch;
// draw adds each packet's diagram and hex dump (-x). Both are formatted
// here, while the event's data is valid, into one entry of the queue.
func (sh *Shell) startDebug(mask uint32, draw bool) error {
	sh.bg.Lock()
	defer sh.bg.Unlock()
	if sh.life.isClosed() { // Close has stopped, or is about to stop, the background
		return ErrClosed
	}
	sh.stopDebugLocked()
	out := sh.backgroundOut()
	pr := &debugPrinter{lines: make(chan debugEntry, debugQueueLen), done: make(chan struct{}), draw: draw, sync: sh.Script, out: out}
	colored := sh.Color
	sh.Stack.Tracer.Set(mask, func(e netdev.TraceEvent) {
		line := describe(e)
		if colored {
			c := layerColor(e.Layer)
			if e.Dir == netdev.TraceDrop {
				c = color.FgRed
			}
			line = color.New(c).Sprint(line)
		}
		if draw && e.Dir != netdev.TraceNote {
			line = explain(e, line)
		}
		pr.post(line)
	})
	go pr.print(out)
	sh.debug = pr
	return nil
}

// stopDebug switches tracing off and waits for the printer to drain.
func (sh *Shell) stopDebug() {
	sh.bg.Lock()
	defer sh.bg.Unlock()
	sh.stopDebugLocked()
}

func (sh *Shell) stopDebugLocked() {
	if sh.debug == nil {
		return
	}
	sh.Stack.Tracer.Set(0, nil)
	pr := sh.debug
	pr.mu.Lock() // a sink still running finishes its post first
	pr.closed = true
	close(pr.lines)
	pr.mu.Unlock()
	<-pr.done
	sh.debug = nil
}

func (pr *debugPrinter) print(out io.Writer) {
	defer close(pr.done)
	for e := range pr.lines {
		if e.flushed != nil {
			close(e.flushed)
			continue
		}
		fmt.Fprintln(out, e.line)
		if n := pr.skipped.Swap(0); n > 0 {
			fmt.Fprintf(out, "debug: %d lines skipped (the terminal fell behind)\n", n)
		}
	}
}
