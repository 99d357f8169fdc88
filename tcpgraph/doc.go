// Package tcpgraph draws what a TCP connection recorded (tcp.History) the
// way tcptrace and Wireshark draw a capture: a time-sequence graph
// (sequence numbers against time: data segments, retransmissions, the ACK
// and window lines, SACK blocks) and a congestion graph (cwnd, ssthresh,
// bytes in flight and smoothed RTT against time, recovery periods
// shaded), each an SVG document a browser opens; and the samples as text,
// ss -i over time. The shell's tcpgraph command calls it.
//
// It sits above tcp and below the shell, and writes SVG through
// encoding/xml only. doc/walkthrough-congestion.md shows how to read the
// pictures.
package tcpgraph
