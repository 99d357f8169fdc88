//go:build linux

package netmap

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestOpenWithoutModule(t *testing.T) {
	if _, err := os.Stat("/dev/netmap"); err == nil {
		t.Skip("/dev/netmap exists on this host")
	}
	_, err := Open("eth0")
	const want = "netmap: /dev/netmap not found — is the netmap module loaded?"
	if err == nil || err.Error() != want {
		t.Fatalf("Open(eth0) error = %v\nwant exactly %q", err, want)
	}
	if !errors.Is(err, ErrNotLoaded) {
		t.Fatal("error is not ErrNotLoaded")
	}
}

func TestOpenBadName(t *testing.T) {
	for _, name := range []string{"", "a-name-of-16char"} {
		if _, err := Open(name); err == nil || !strings.Contains(err.Error(), "bad interface name") {
			t.Errorf("Open(%q) = %v, want a bad interface name error", name, err)
		}
	}
}
