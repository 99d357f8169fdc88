package main

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    string
		want    config // compared when wantErr is empty
		wantErr string
	}{
		{args: "-tap gv0 -addr 10.77.3.1/24 -mode sink -port 5001",
			want: config{tap: "gv0", addr: netip.MustParsePrefix("10.77.3.1/24"), offload: true, mode: "sink", port: 5001}},
		{args: "-tap gv0 -addr 10.77.3.1/24 -offload=false -mode send -connect 10.77.3.2:5001",
			want: config{tap: "gv0", addr: netip.MustParsePrefix("10.77.3.1/24"), mode: "send", connect: netip.MustParseAddrPort("10.77.3.2:5001")}},
		{args: "-addr 10.77.3.1/24 -mode sink -port 1", wantErr: "-tap is required"},
		{args: "-tap gv0 -addr 10.77.3.1 -mode sink -port 1", wantErr: `-addr "10.77.3.1" is not an IPv4 address with prefix`},
		{args: "-tap gv0 -addr fd00::1/64 -mode sink -port 1", wantErr: "is not an IPv4 address"},
		{args: "-tap gv0 -addr 10.77.3.1/24 -mode echo", wantErr: "-mode echo needs a port"},
		{args: "-tap gv0 -addr 10.77.3.1/24 -mode sink -port 70000", wantErr: "needs a port from 1 to 65535"},
		{args: "-tap gv0 -addr 10.77.3.1/24 -mode send", wantErr: `-connect "" is not IPv4:PORT`},
		{args: "-tap gv0 -addr 10.77.3.1/24 -mode flood -port 1", wantErr: `-mode "flood" is unknown`},
		{args: "-tap gv0 -addr 10.77.3.1/24 -mode sink -port 1 extra", wantErr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got, err := parseFlags(strings.Fields(tt.args))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("parseFlags: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("parseFlags error (-want +got):\n-%s\n+%v", tt.wantErr, err)
			case tt.wantErr == "" && got != tt.want:
				t.Errorf("parseFlags (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
		})
	}
}
