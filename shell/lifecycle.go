package shell

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// CloseWait bounds how long Close waits for a cancelled command to return.
// Commands return within milliseconds of their context ending (ping prints
// its statistics, udp listen its summary); this is the bound for one that
// does not.
const CloseWait = time.Second

// lifecycle tracks the commands Execute is running, so that Close can stop
// them from another goroutine (cmd/tapip calls it on SIGTERM).
type lifecycle struct {
	ctx    context.Context // every command's context follows it; Close cancels it
	cancel context.CancelFunc
	wait   time.Duration // CloseWait; tests shorten it

	mu      sync.Mutex
	closed  bool
	running int           // commands between begin and done
	idle    chan struct{} // closed when running drops to 0
}

func (l *lifecycle) init() {
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wait = CloseWait
}

// begin registers a command about to run. It returns the command's
// context, which ends with parent or at Close, and the function to call
// when the command has returned; or ErrClosed after Close.
func (l *lifecycle) begin(parent context.Context) (context.Context, func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, ErrClosed
	}
	if l.running == 0 {
		l.idle = make(chan struct{})
	}
	l.running++
	ctx, cancel := context.WithCancel(parent)
	stop := context.AfterFunc(l.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.running--; l.running == 0 {
			close(l.idle)
		}
	}, nil
}

// close refuses new commands, cancels the running ones and waits up to
// wait for them to return.
func (l *lifecycle) close() error {
	l.mu.Lock()
	l.closed = true
	l.cancel()
	idle, running := l.idle, l.running
	l.mu.Unlock()
	if running == 0 {
		return nil
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case <-idle:
		return nil
	case <-t.C:
		return fmt.Errorf("shell: a command still runs %v after Close cancelled it", l.wait)
	}
}

func (l *lifecycle) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Close ends the shell; it may be called at any time, from any goroutine,
// more than once. It cancels the running command, as Ctrl-C does, and
// waits up to CloseWait for it and the background jobs (stopped as kill
// stops them) to return; then it ends what commands left running in the
// background: a debug watch, and a capture, whose file is flushed and
// closed. From then on Execute and the Run methods return
// ErrClosed, and when Close returns nil no command is using the stack, so
// the caller can close it. An error means a command did not return in
// time and may still be running.
func (sh *Shell) Close() error {
	jobs, _ := sh.jobs.list()
	for _, j := range jobs { // life.close waits for them, as for every command
		j.stop()
	}
	err := sh.life.close()
	sh.stopBackground()
	return err
}

// stopBackground ends the background jobs, the debug watch and the
// capture, if running, and releases the DHCP leases. The Run methods call
// it when they return.
func (sh *Shell) stopBackground() {
	sh.stopJobs()
	sh.bg.Lock()
	defer sh.bg.Unlock()
	sh.stopDebugLocked()
	if sh.capture != nil {
		sh.stopCaptureLocked()
	}
	sh.releaseLeasesLocked() // cmd_dhclient.go
}
