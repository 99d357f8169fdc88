//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The target's end of a TCP run: the kernel target's helper processes in
// the server namespace, our targets' snc commands, gVisor's program.

// startTCPSink readies the target to receive on tcpSinkPort and returns
// the PID charged with its CPU.
func startTCPSink(t target, self string) (int, error) {
	switch t := t.(type) {
	case *kernelTarget:
		if t.sink == nil {
			var err error
			if t.sink, err = t.helper("-tcp-sink"); err != nil {
				return 0, fmt.Errorf("tcp sink: %w", err)
			}
		}
		return t.sink.pid(), nil
	case *procTarget:
		_, err := fmt.Fprintf(t.stdin, "snc -b 0.0.0.0:%d > /dev/null\n", tcpSinkPort)
		return t.proc.pid(), err
	case *gvisorTarget:
		return t.run("sink", tcpSinkPort, "")
	}
	return 0, errors.New("no TCP sink for this target")
}

// startTCPSender has the target connect to client:tcpSourcePort and send
// until the connection ends; stop waits for the sender to be done.
func startTCPSender(t target, self, client string) (pid int, stop func(), err error) {
	addr := fmt.Sprintf("%s:%d", client, tcpSourcePort)
	switch t := t.(type) {
	case *kernelTarget:
		c, err := t.helper("-tcp-send", addr)
		if err != nil {
			return 0, nil, fmt.Errorf("tcp sender: %w", err)
		}
		return c.pid(), c.stop, nil
	case *procTarget:
		_, err := fmt.Fprintf(t.stdin, "snc -c %s < /dev/zero\n", addr)
		return t.proc.pid(), func() {}, err
	case *gvisorTarget:
		pid, err := t.run("send", tcpSourcePort, addr)
		return pid, t.stop, err
	}
	return 0, nil, errors.New("no TCP sender for this target")
}

// startTCPEcho readies the target's echo service on tcpEchoPort (tcprr.go)
// and returns the PID charged with its CPU.
func startTCPEcho(t target, self string) (int, error) {
	switch t := t.(type) {
	case *kernelTarget:
		if t.rr == nil {
			var err error
			if t.rr, err = t.helper("-tcp-echo"); err != nil {
				return 0, fmt.Errorf("tcp echo: %w", err)
			}
		}
		return t.rr.pid(), nil
	case *procTarget:
		if !t.echoOn {
			// In the background: the shell stays free for the next commands.
			if _, err := fmt.Fprintf(t.stdin, "snc -k -e -b 0.0.0.0:%d &\n", tcpEchoPort); err != nil {
				return 0, err
			}
			t.echoOn = true
		}
		return t.proc.pid(), nil
	case *gvisorTarget:
		return t.run("echo", tcpEchoPort, "")
	}
	return 0, errors.New("no TCP echo for this target")
}

// useCubic makes a kernel socket's congestion control CUBIC, Linux's
// default, whatever the host chose (this machine: BBR, whose pacing timer
// fires per segment when a link has no GSO). A namespace cannot take CUBIC
// as its default unless the host allows it (tcp_allowed_congestion_control);
// a socket of root's can.
func useCubic(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, "cubic")
	})
	if err == nil && serr != nil {
		err = fmt.Errorf("TCP_CONGESTION cubic: %w", serr)
	}
	return err
}

// kernelDial and kernelListen are the kernel's TCP ends of every run
// (accepted connections inherit the listener's congestion control).
func kernelDial(addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout, Control: useCubic}
	return d.Dial("tcp4", addr)
}

func kernelListen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: useCubic}
	return lc.Listen(context.Background(), "tcp4", addr)
}

// dialRetry connects from namespace ns, trying again for 10 s while
// nothing listens yet.
func dialRetry(ns, addr string) (net.Conn, error) {
	var c net.Conn
	var err error
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		err = inNetns(ns, func() error {
			var derr error
			c, derr = kernelDial(addr, 5*time.Second)
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
		ln, lerr = kernelListen(addr)
		return lerr
	})
	return ln, err
}

// serveKernel accepts on port until life is over and hands each
// connection to serve, on a goroutine of its own if concurrent.
func serveKernel(port int, life time.Duration, concurrent bool, serve func(net.Conn)) error {
	ln, err := kernelListen(fmt.Sprintf(":%d", port))
	if err != nil {
		return err
	}
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(life))
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return err
		}
		c.SetDeadline(time.Now().Add(life))
		if concurrent {
			go serve(c)
		} else {
			serve(c)
		}
	}
}

// tcpSink is the kernel target's receiver (tapbench -tcp-sink): it accepts
// on tcpSinkPort, reads each connection to its end and closes it.
func tcpSink(life time.Duration) error {
	buf := make([]byte, tcpBufSize)
	return serveKernel(tcpSinkPort, life, false, func(c net.Conn) {
		io.CopyBuffer(io.Discard, struct{ io.Reader }{c}, buf)
		c.Close()
	})
}

// tcpSend is the kernel target's sender (tapbench -tcp-send ADDR): it
// connects and writes until the connection ends.
func tcpSend(addr string, life time.Duration) error {
	c, err := kernelDial(addr, 10*time.Second)
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
