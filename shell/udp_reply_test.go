package shell_test

import (
	"context"
	"strings"
	"testing"
)

// udp send -r prints the reply, or the ICMP error that came back instead.
func TestUDPSendAwaitsReply(t *testing.T) {
	cases := []struct {
		line, want, wantErr string
	}{
		{"udp send -p 5000 -r 10.0.0.2:7 hello", "sent 5 bytes to 10.0.0.2:7\n10.0.0.2:7 length 5: hello\n", ""},
		{"udp send -r 10.0.1.2:7 far away", "sent 8 bytes to 10.0.1.2:7\n10.0.1.2:7 length 8: far away\n", ""},
		{"udp send -r 10.0.0.2:9 hello", "sent 5 bytes to 10.0.0.2:9\n", "10.0.0.2:9: connection refused (ICMP port unreachable from 10.0.0.2)"},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			sh, out, _ := simShell(t)
			err := sh.Execute(context.Background(), c.line)
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Errorf("error %v, want %q", err, c.wantErr)
			}
			if got := out.String(); got != c.want {
				t.Errorf("output (-want +got):\n-%q\n+%q", c.want, got)
			}
			if socks := sh.Stack.UDP.Sockets(); len(socks) != 0 {
				t.Errorf("udp send -r left sockets open: %v", socks)
			}
		})
	}
}
