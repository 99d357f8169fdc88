package shell_test

import (
	"context"
	"strings"
	"testing"
)

// TestDhclientOnTheSim: dhclient sim0 prints the exchange with the sim's
// server as ISC dhclient does, the address and default route change, the
// lease lists as dhclient.leases(5), and closing the shell releases it.
func TestDhclientOnTheSim(t *testing.T) {
	sh, out, _ := simShell(t)
	ctx := context.Background()
	run := func(line string) string {
		t.Helper()
		out.Reset()
		if err := sh.Execute(ctx, line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return out.String()
	}
	if got := run("dhclient"); got != "no leases (dhclient IFACE gets one)\n" {
		t.Errorf("dhclient with none: %q", got)
	}
	got := run("dhclient sim0")
	for _, want := range []string{
		"DHCPDISCOVER on sim0 to 255.255.255.255 port 67 interval ",
		"DHCPOFFER of 10.0.0.50 from 10.0.0.254\n",
		"DHCPREQUEST for 10.0.0.50 on sim0 to 255.255.255.255 port 67\n",
		"DHCPACK of 10.0.0.50 from 10.0.0.254\n",
		"bound to 10.0.0.50 -- renewal in ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("dhclient sim0 lacks %q:\n%s", want, got)
		}
	}
	if got := run("ifconfig sim0"); !strings.Contains(got, "inet 10.0.0.50  netmask 255.255.255.0") {
		t.Errorf("ifconfig sim0:\n%s", got)
	}
	got = run("dhclient")
	for _, want := range []string{`interface "sim0";`, "fixed-address 10.0.0.50;", "option routers 10.0.0.254;",
		"option domain-name-servers 10.0.0.254;", "option dhcp-lease-time 3600;", "# BOUND, expires in "} {
		if !strings.Contains(got, want) {
			t.Errorf("the lease lacks %q:\n%s", want, got)
		}
	}
	if err := sh.Execute(ctx, "dhclient sim0"); err == nil || !strings.Contains(err.Error(), "already running (dhclient -r sim0 releases its lease)") {
		t.Errorf("a second dhclient sim0: %v", err)
	}
	if err := sh.Execute(ctx, "dhclient nosuch0"); err == nil || !strings.Contains(err.Error(), "dhclient: nosuch0: no such device") {
		t.Errorf("dhclient nosuch0: %v", err)
	}
	out.Reset()
	sh.Close()
	if got := out.String(); !strings.Contains(got, "DHCPRELEASE of 10.0.0.50 on sim0 to 10.0.0.254 port 67") {
		t.Errorf("closing the shell did not release:\n%q", got)
	}
	if a := sh.Stack.Devices()[1].Addr(); a.IsValid() {
		t.Errorf("sim0 still has %v after the release", a)
	}
}
