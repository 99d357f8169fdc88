package shell_test

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
)

// stat prints TCP's MIB by nstat's names, Linux's extras under TcpExt;
// stat -z zeroes the counts but not TcpCurrEstab, which a connection
// closing after it brings back to 0 rather than wrapping.
func TestStatTCP(t *testing.T) {
	server, client := tcpWorlds[1].pair(t)
	stop, _ := server.start(t, "snc -b 9000")
	server.listening(t)
	c := client.dial(t, "10.0.0.2:9000")
	fmt.Fprintf(c, "hello\n")
	waitUntil(t, "the line to arrive", func() bool { return strings.Contains(server.out.String(), "hello\n") })
	stat := func() string {
		t.Helper()
		client.out.Reset()
		if err := client.sh.Execute(t.Context(), "stat"); err != nil {
			t.Fatal(err)
		}
		return client.out.String()
	}
	has := func(out string, rows ...string) {
		t.Helper()
		for _, r := range rows {
			if !regexp.MustCompile(`(?m)^` + r + `$`).MatchString(out) {
				t.Errorf("stat lacks a row matching %q", r)
			}
		}
	}
	out := stat()
	has(out, `TcpActiveOpens +1`, `TcpPassiveOpens +0`, `TcpCurrEstab +1`, `TcpOutSegs +[3-9]`, `TcpInSegs +[1-9]\d*`,
		`TcpRetransSegs +0`, `TcpExtSyncookiesSent +0`, `TcpExtSyncookiesRecv +0`, `TcpExtTCPChallengeACK +0`, `TcpExtTCPTimeouts +0`)
	if strings.Contains(out, "TcpChallengeACKs") || strings.Contains(out, "TcpSyncookies") {
		t.Errorf("Linux's extras under Tcp, not TcpExt:\n%s", out)
	}
	if err := client.sh.Execute(t.Context(), "stat -z"); err != nil {
		t.Fatal(err)
	}
	has(stat(), `TcpActiveOpens +0`, `TcpOutSegs +0`, `TcpCurrEstab +1`)
	c.Close()
	io.ReadAll(c)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the connection to leave ESTABLISHED", func() bool { return client.sh.Stack.TCP.Stats.CurrEstab.Load() != 1 })
	has(stat(), `TcpCurrEstab +0`)
}
