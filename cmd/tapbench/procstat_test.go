//go:build linux

package main

import (
	"strings"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    machineCPU
		wantErr bool
	}{
		{
			name: "ten fields",
			in:   "cpu  100 2 30 1000 4 5 6 7 0 0\ncpu0 50 1 15 500 2 2 3 3 0 0\nintr 1\n",
			want: machineCPU{Busy: 100 + 2 + 30 + 5 + 6, Total: 100 + 2 + 30 + 5 + 6 + 1000 + 4 + 7},
		},
		{
			name: "old kernel without steal",
			in:   "cpu 1 1 1 10 0 1 1\n",
			want: machineCPU{Busy: 5, Total: 15},
		},
		{name: "per-cpu lines only", in: "cpu0 1 2 3 4 5 6 7 8\n", wantErr: true},
		{name: "short", in: "cpu 1 2 3\n", wantErr: true},
		{name: "not a number", in: "cpu 1 x 3 4 5 6 7 8\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseProcStat error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseProcStat (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
		})
	}
}

func TestParsePidStat(t *testing.T) {
	// Fields 3..: state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime ...
	rest := " S 1 2 3 4 5 6 7 8 9 10 250 75 11 12 20 0 1"
	tests := []struct {
		name    string
		in      string
		want    uint64
		wantErr bool
	}{
		{name: "plain", in: "1234 (tapip)" + rest, want: 325},
		{name: "spaces and parens in the name", in: "1234 (a b) (c))" + rest, want: 325},
		{name: "no parens", in: "1234 tapip" + rest, wantErr: true},
		{name: "truncated", in: "1234 (tapip) S 1 2 3", wantErr: true},
		{name: "bad utime", in: "1234 (tapip) S 1 2 3 4 5 6 7 8 9 10 x 75", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePidStat(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parsePidStat error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parsePidStat = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestTicksToMicros(t *testing.T) {
	if got := ticksToMicros(3); got != 30000 {
		t.Errorf("ticksToMicros(3) = %v, want 30000 (USER_HZ 100)", got)
	}
}

func TestOwnerPID(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"tb-123-client", 123},
		{"tb-9-server", 9},
		{"tb--client", 0},
		{"tb-x-client", 0},
		{"gtp-123-1", 0},
		{"tb-123", 0},
	}
	for _, tt := range tests {
		if got := ownerPID(tt.in); got != tt.want {
			t.Errorf("ownerPID(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
	if !strings.HasPrefix(netnsName("client"), nsPrefix) || ownerPID(netnsName("client")) == 0 {
		t.Errorf("netnsName(client) = %q: ownerPID cannot read it back", netnsName("client"))
	}
}
