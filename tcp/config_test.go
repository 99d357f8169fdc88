package tcp

import (
	"strings"
	"testing"
)

func TestSysctls(t *testing.T) {
	n := newTestNet(t, nil)
	want := map[string]string{
		"net.ipv4.tcp_syn_retries": "6", "tcp_retries2": "15", "tcp_sack": "1", "tcp_timestamps": "1",
		"tcp_window_scaling": "1", "tcp_syncookies": "1", "tcp_max_syn_backlog": "128", "tcp_fin_timeout": "60",
		"tcp_keepalive_time": "7200", "tcp_keepalive_intvl": "75", "tcp_keepalive_probes": "9",
		"tcp_rmem": "4096\t131072\t6291456", "tcp_wmem": "4096\t16384\t4194304",
		"tcp_moderate_rcvbuf": "1",
		"tcp_recovery":        "1", "tcp_dsack": "1",
	}
	for name, v := range want {
		if got, err := n.p.Sysctl(name); err != nil || got != v {
			t.Errorf("%s = %q (%v), want Linux's %q", name, got, err, v)
		}
	}
	if err := n.p.SetSysctl("net.ipv4.tcp_sack", "0"); err != nil || n.p.Config().SACK {
		t.Errorf("set tcp_sack 0: %v", err)
	}
	if err := n.p.SetSysctl("tcp_rmem", "8192 65536 1048576"); err != nil || n.p.Config().Rmem[1] != 65536 {
		t.Errorf("set tcp_rmem: %v %v", err, n.p.Config().Rmem)
	}
	for _, bad := range [][2]string{{"tcp_sack", "2"}, {"tcp_rmem", "1 2"}, {"tcp_rmem", "9 5 7"}, {"tcp_fin_timeout", "0"}, {"tcp_nope", "1"}} {
		if err := n.p.SetSysctl(bad[0], bad[1]); err == nil || !strings.HasPrefix(err.Error(), "sysctl: ") {
			t.Errorf("set %s %q: %v, want a sysctl: error", bad[0], bad[1], err)
		}
	}
	if len(SysctlNames()) != len(sysctls) {
		t.Error("SysctlNames incomplete")
	}
}
