package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
)

// snc over TCP, on the Dialer's net.Conn and net.Listener: what any Go
// program would write, so it runs unchanged over the stack's TCP.

// sncBufSize is the size of snc's copy buffers: 128 KB, iperf3's TCP
// default. Each read of the input is one Write, and a Write the window
// takes at once leaves as one segment, so a 32 KB buffer sent `snc <
// /dev/zero` in 32 KB segments with a read(2) for each: 1.5 GB/s where
// 128 KB gives 2.3 (doc/performance.md).
const sncBufSize = 128 << 10

// sncConnect connects to addr, sends the command's input and prints what
// comes back. It ends when the peer closes (after the end of the input:
// half-closed, then drained), at Ctrl-C, or on an error.
func sncConnect(ctx context.Context, sh *Shell, addr string) error {
	d := sh.dialer()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("snc: connect to %s: %s", addr, strerror(err))
	}
	listening(ctx)
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { conn.Close() })() // Ctrl-C ends reads and writes
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	sent := make(chan error, 1)
	go func() { sent <- sncSendInput(sendCtx, sh, conn) }()
	received := make(chan error, 1)
	go func() { received <- copyChunks(sh.Out, conn, nil) }()

	var sendErr, recvErr error
	select {
	case recvErr = <-received: // the peer closed: stop sending
		stopSending()
		conn.Close()
		sendErr = <-sent
	case sendErr = <-sent:
		if sendErr != nil { // Ctrl-C at the terminal, or the send failed
			conn.Close()
		}
		recvErr = <-received // else half-closed: drain until the peer closes
	}
	switch {
	case ctx.Err() != nil, errors.Is(sendErr, errInterrupted):
		return nil
	case recvErr != nil && !errors.Is(recvErr, net.ErrClosed):
		return fmt.Errorf("snc: %s: %s", addr, strerror(recvErr))
	case sendErr != nil && !errors.Is(sendErr, net.ErrClosed):
		return fmt.Errorf("snc: sending to %s: %s", addr, strerror(sendErr))
	}
	return nil
}

// sncSendInput writes the command's input to conn: the < file byte for
// byte, or else the lines of the shell's input. At its end it half-closes
// the connection. It returns nil once ctx ends: the caller stopped it.
func sncSendInput(ctx context.Context, sh *Shell, conn net.Conn) error {
	err := sncCopyInput(ctx, sh, conn)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	if cw, ok := conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return nil // no half-close: wait for the peer to close
}

func sncCopyInput(ctx context.Context, sh *Shell, conn net.Conn) error {
	if in := stdinOf(ctx); in != nil {
		_, err := io.CopyBuffer(conn, ctxReader{ctx, in}, make([]byte, sncBufSize))
		return err
	}
	src := sh.lines()
	if src == nil {
		return fmt.Errorf("snc: %w (Shell.SetInput, or < FILE)", errNoInput)
	}
	for {
		line, err := src.next(ctx, "")
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
		if _, err := io.WriteString(conn, line); err != nil {
			return err
		}
	}
}

// ctxReader stops a copy from a file when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(b []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(b)
}

// copyChunks copies src to dst until src ends, each chunk in one Write
// under mu (if not nil), so connections printing at once do not cut into
// each other's chunks. The end of src (EOF) is not an error.
func copyChunks(dst io.Writer, src io.Reader, mu *sync.Mutex) error {
	buf := make([]byte, sncBufSize)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if mu != nil {
				mu.Lock()
			}
			_, werr := dst.Write(buf[:n])
			if mu != nil {
				mu.Unlock()
			}
			if werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// sncListen accepts connections on addr and prints what arrives on each
// (or echoes it back, -e): one connection, or with -k every one that
// comes, served at once. It ends after the one connection, or at Ctrl-C.
func sncListen(ctx context.Context, sh *Shell, addr string, keep, echo bool) error {
	d := sh.dialer()
	ln, err := d.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("snc: listen on %s: %s", addr, strerror(err))
	}
	if strings.HasSuffix(addr, ":0") {
		fmt.Fprintf(sh.Err, "snc: listening on %s\n", ln.Addr())
	}
	listening(ctx)
	var outMu sync.Mutex
	return serveConns(ctx, ln, !keep, func(c net.Conn) {
		var err error
		if echo {
			err = copyChunks(c, c, nil)
			if cw, ok := c.(closeWriter); ok && err == nil {
				err = cw.CloseWrite()
			}
		} else {
			err = copyChunks(sh.Out, c, &outMu)
		}
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(sh.Err, "snc: %s: %s\n", c.RemoteAddr(), strerror(err))
		}
	})
}

// parseListen parses a local [ADDR:]PORT to listen on; no ADDR means every
// address, and port 0 any free port.
func parseListen(s string) (string, error) {
	host, port, ok := strings.Cut(s, ":")
	if !ok {
		host, port = "0.0.0.0", s
	}
	p, err := strconv.ParseUint(port, 10, 16)
	a, aerr := netip.ParseAddr(host)
	if err != nil || aerr != nil || !a.Is4() {
		return "", fmt.Errorf("%q: want [ADDR:]PORT with an IPv4 address and a port from 0 to 65535, like 0.0.0.0:9000", s)
	}
	return netip.AddrPortFrom(a, uint16(p)).String(), nil
}
