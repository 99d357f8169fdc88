//go:build linux

package main

import (
	"os/exec"
	"syscall"
	"time"
)

// child is a process tapbench started, reaped by a goroutine of its own so
// that an early exit (a flag it does not know) shows at once.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startChild(c *exec.Cmd) (*child, error) {
	if err := c.Start(); err != nil {
		return nil, err
	}
	ch := &child{cmd: c, done: make(chan struct{})}
	go func() { c.Wait(); close(ch.done) }()
	return ch, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL after 3 s, and waits for the end. A
// nil child is nothing to stop.
func (c *child) stop() {
	if c == nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(3 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
}
