//go:build linux

package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/stack"
)

// maxLife bounds the helper processes: they stop by themselves even if
// tapbench is killed in a way that skips its cleanup.
var maxLife = 10 * time.Minute

// echoServer is the kernel target's user-space UDP echo server on port 7:
// blocking recvfrom/sendto on one locked thread, the cheapest a simple
// server gets.
func echoServer(life time.Duration) error {
	runtime.LockOSThread()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: echoPort}); err != nil {
		return fmt.Errorf("bind port %d: %w", echoPort, err)
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	tv := unix.NsecToTimeval(time.Second.Nanoseconds())
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	buf := make([]byte, 65536)
	for end := time.Now().Add(life); ; {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			if err == unix.EAGAIN || err == unix.EINTR {
				if time.Now().After(end) {
					return nil
				}
				continue
			}
			return err
		}
		if from != nil {
			unix.Sendto(fd, buf[:n], 0, from)
		}
	}
}

// serveStack is the profiling harness: the same stack tapip builds (one P,
// the TAP driver, -poll busy when spin > 0), on the TAP gtb0 in the
// current namespace, with the CPU profile written when it is told to stop
// (SIGTERM/SIGINT) or its life ends.
func serveStack(profile string, life, spin time.Duration) error {
	stack.UseOneProc()
	f, err := os.Create(profile)
	if err != nil {
		return err
	}
	defer f.Close()
	s := stack.New(stack.Config{})
	defer s.Close()
	addr := netip.MustParsePrefix(stackAddr + subnetPrefix)
	spec, _ := stack.ParseDeviceSpec("tap:" + tapName)
	_, err = s.OpenDevice(spec, stack.DeviceOptions{Addr: addr, Peer: netip.MustParsePrefix(tapPeerAddr + subnetPrefix), BusyPoll: spin})
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case <-time.After(life):
	}
	return nil
}
