// Package kerneltest holds the tests that use the real Linux kernel as the
// peer: each makes its own network namespace with a TAP (or veth) inside,
// runs our stack against the kernel's ARP, ICMP and UDP there, and removes
// everything when it ends. They need root; with CI set, a missing root is a
// failure, not a skip (see internal/nstest).
package kerneltest
