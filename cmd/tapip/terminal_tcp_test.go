//go:build linux

package main

import "testing"

// snc at the terminal, on the sim's TCP echo service: each line typed
// comes back; Ctrl-C ends the connection and gives the prompt back; ss
// then lists it in TIME-WAIT (we closed first), and curl fetches the sim
// host's page.
func TestTerminalSncEchoThenSS(t *testing.T) {
	s := simSession(t, "", "-no-color")
	s.keys("snc -c 10.0.0.2:7", "Enter")
	s.keys("hello there", "Enter")
	s.waitMatch(`(?m)^hello there\nhello there\n`) // typed, then echoed
	s.keys("C-c")
	s.waitMatch(`(?m)^hello there\n\^C\n\[net shell\]: ?$`)
	s.keys("ss -t", "Enter")
	s.waitMatch(`(?m)^State     Recv-Q Send-Q Local Address:Port   Peer Address:Port\nTIME-WAIT 0      0           10\.0\.0\.1:\d{5}      10\.0\.0\.2:7\n\[net shell\]: ?$`)
	s.keys("curl http://10.0.0.2/", "Enter")
	screen := s.waitMatch(`(?m)^Hello from 10\.0\.0\.2, a gotapip stack on the simulated LAN\.\n\[net shell\]: ?$`)
	promptLines(t, screen, "snc -c 10.0.0.2:7", "ss -t", "curl http://10.0.0.2/")
}
