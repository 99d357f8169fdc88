//go:build linux

package macvtap

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Finding and opening a macvtap's character device. The kernel numbers it
// in sysfs, /sys/class/net/NAME/macvtap/tapINDEX/dev ("MAJOR:MINOR"); udev
// would make /dev/tapINDEX from that, but a host without udev has only
// what devtmpfs makes, and /dev is shared by every network namespace while
// interface indexes are not: /dev/tap4 may belong to another namespace's
// macvtap. So the node is used only if its number is ours; otherwise the
// driver makes its own node, opens it and removes it at once (the open
// descriptor keeps the device).

// nodeSeq numbers the nodes this process makes, so two opens never race
// for one name.
var nodeSeq atomic.Uint32

// devNumber reads the macvtap's device number from sysfs. sysfs shows the
// network namespace of whoever mounted it, which need not be the
// caller's (a thread that joined another namespace with setns, as the
// tests do): when /sys shows another interface under the name, it reads a
// sysfs mounted afresh in the caller's namespace instead.
func devNumber(l link) (major, minor uint32, err error) {
	dir := "/sys/class/net/" + l.name
	path := fmt.Sprintf("%s/macvtap/tap%d/dev", dir, l.index)
	read := os.ReadFile
	if !sysfsShows(dir, l) {
		read = readOwnSysfs
	}
	b, err := read(path)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: no character device in sysfs: %w", l.name, err)
	}
	maj, min, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%s: %s holds %q, not MAJOR:MINOR", l.name, path, b)
	}
	return uint32(ma), uint32(mi), nil
}

// sysfsShows reports whether the sysfs directory dir describes l (same
// index and MAC), not a namesake in another namespace.
func sysfsShows(dir string, l link) bool {
	idx, err1 := os.ReadFile(dir + "/ifindex")
	mac, err2 := os.ReadFile(dir + "/address")
	return err1 == nil && err2 == nil &&
		strings.TrimSpace(string(idx)) == strconv.Itoa(l.index) &&
		strings.TrimSpace(string(mac)) == l.mac.String()
}

// readOwnSysfs reads path from a sysfs mounted for the caller's network
// namespace. The mount is made on a thread of its own, in a mount
// namespace of its own (private, so nothing propagates to the host); the
// thread is never unlocked, so it ends with its goroutine and takes the
// mount with it.
func readOwnSysfs(path string) ([]byte, error) {
	runtime.LockOSThread()
	ns, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	defer unix.Close(ns)
	type result struct {
		b   []byte
		err error
	}
	c := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		b, err := func() ([]byte, error) {
			if err := unix.Setns(ns, unix.CLONE_NEWNET); err != nil {
				return nil, fmt.Errorf("setns: %w", err)
			}
			if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
				return nil, fmt.Errorf("unshare: %w", err)
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return nil, fmt.Errorf("private mounts: %w", err)
			}
			if err := unix.Mount("sysfs", "/sys", "sysfs", 0, ""); err != nil {
				return nil, fmt.Errorf("mount sysfs: %w", err)
			}
			return os.ReadFile(path)
		}()
		c <- result{b, err}
	}()
	r := <-c
	return r.b, r.err
}

// openNode opens the character device major:minor, using devDir/tapINDEX
// if it is that device, or else a node it makes in devDir and removes once
// open. made reports the latter.
func openNode(devDir string, index int, major, minor uint32) (fd int, made bool, err error) {
	want := unix.Mkdev(major, minor)
	const flags = unix.O_RDWR | unix.O_NONBLOCK | unix.O_CLOEXEC
	path := filepath.Join(devDir, "tap"+strconv.Itoa(index))
	var st unix.Stat_t
	if unix.Stat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == want {
		fd, err := unix.Open(path, flags, 0)
		if err != nil {
			return -1, false, fmt.Errorf("open %s: %w", path, err)
		}
		return fd, false, nil
	}
	path = filepath.Join(devDir, fmt.Sprintf(".gotapip-%d-%d-tap%d", os.Getpid(), nodeSeq.Add(1), index))
	if err := unix.Mknod(path, unix.S_IFCHR|0o600, int(want)); err != nil {
		return -1, false, fmt.Errorf("mknod %s c %d %d: %w", path, major, minor, err)
	}
	fd, err = unix.Open(path, flags, 0)
	if rmErr := unix.Unlink(path); err == nil && rmErr != nil {
		unix.Close(fd)
		return -1, true, fmt.Errorf("remove %s: %w", path, rmErr)
	}
	if err != nil {
		return -1, true, fmt.Errorf("open %s: %w", path, err)
	}
	return fd, true, nil
}
