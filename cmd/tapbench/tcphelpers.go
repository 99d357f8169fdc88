//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// The two ends of a TCP run on each target: the kernel target's helper
// processes in the server namespace, our targets' snc commands.

// startTCPSink readies the target to receive on tcpSinkPort and returns
// the PID charged with its CPU.
func startTCPSink(t target, topo *topology, self string) (int, error) {
	switch t := t.(type) {
	case *kernelTarget:
		if t.sink == nil {
			t.sink = nsCommand(topo.server, self, "-tcp-sink", "-max-life", maxLife.String())
			t.sink.SysProcAttr.Setpgid = true
			t.sink.Stderr = os.Stderr
			if err := t.sink.Start(); err != nil {
				t.sink = nil
				return 0, fmt.Errorf("tcp sink: %w", err)
			}
		}
		return t.sink.Process.Pid, nil
	case *procTarget:
		_, err := fmt.Fprintf(t.stdin, "snc -b 0.0.0.0:%d > /dev/null\n", tcpSinkPort)
		return t.cmd.Process.Pid, err
	}
	return 0, errors.New("no TCP sink for this target")
}

// startTCPSender has the target connect to client:tcpSourcePort and send
// until the connection ends; stop waits for the sender to be done.
func startTCPSender(t target, topo *topology, self, client string) (pid int, stop func(), err error) {
	addr := fmt.Sprintf("%s:%d", client, tcpSourcePort)
	switch t := t.(type) {
	case *kernelTarget:
		c := nsCommand(topo.server, self, "-tcp-send", "-max-life", maxLife.String(), addr)
		c.SysProcAttr.Setpgid = true
		if err := c.Start(); err != nil {
			return 0, nil, fmt.Errorf("tcp sender: %w", err)
		}
		return c.Process.Pid, func() { stopChild(c) }, nil
	case *procTarget:
		_, err := fmt.Fprintf(t.stdin, "snc -c %s < /dev/zero\n", addr)
		return t.cmd.Process.Pid, func() {}, err
	}
	return 0, nil, errors.New("no TCP sender for this target")
}

// dialRetry connects from namespace ns, trying again for 10 s while
// nothing listens yet.
func dialRetry(ns, addr string) (net.Conn, error) {
	var c net.Conn
	var err error
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		err = inNetns(ns, func() error {
			var derr error
			c, derr = net.DialTimeout("tcp4", addr, 5*time.Second)
			return derr
		})
		if err == nil {
			return c, nil
		}
	}
	return nil, fmt.Errorf("connect to %s: %w", addr, err)
}

// listenIn listens on addr in namespace ns.
func listenIn(ns, addr string) (net.Listener, error) {
	var ln net.Listener
	err := inNetns(ns, func() error {
		var lerr error
		ln, lerr = net.Listen("tcp4", addr)
		return lerr
	})
	return ln, err
}

// tcpSink is the kernel target's receiver (tapbench -tcp-sink): it accepts
// on tcpSinkPort, reads each connection to its end and closes it.
func tcpSink(life time.Duration) error {
	ln, err := net.Listen("tcp4", fmt.Sprintf(":%d", tcpSinkPort))
	if err != nil {
		return err
	}
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(life))
	buf := make([]byte, tcpBufSize)
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return err
		}
		c.SetDeadline(time.Now().Add(life))
		io.CopyBuffer(io.Discard, struct{ io.Reader }{c}, buf)
		c.Close()
	}
}

// tcpSend is the kernel target's sender (tapbench -tcp-send ADDR): it
// connects and writes until the connection ends.
func tcpSend(addr string, life time.Duration) error {
	c, err := net.DialTimeout("tcp4", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(life))
	buf := make([]byte, tcpBufSize)
	for {
		if _, err := c.Write(buf); err != nil {
			if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
				return nil // the measurement ended
			}
			return err
		}
	}
}
