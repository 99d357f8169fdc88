//go:build linux

package nstest

import (
	"os"
	"strings"
	"testing"
)

func TestNetnsRunDo(t *testing.T) {
	RequireRoot(t)
	ns := NewNetns(t, "nstest")
	if out := Run(t, ns, "ip", "-o", "link", "show"); !strings.Contains(out, "lo:") || strings.Count(out, "\n") != 1 {
		t.Fatalf("a new namespace holds only lo; ip link show printed:\n%s", out)
	}
	if _, err := Exec(ns, "false"); err == nil {
		t.Fatal("Exec(false) returned no error")
	}

	host, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	var inside string
	var insideErr error
	Do(t, ns, func() { inside, insideErr = os.Readlink("/proc/thread-self/ns/net") })
	if insideErr != nil {
		t.Fatal(insideErr)
	}
	if inside == host {
		t.Fatalf("Do ran f in the host namespace %s", host)
	}
}
