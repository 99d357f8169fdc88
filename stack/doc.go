// Package stack is the composition root: it makes the layers, wires each
// one's up-calls into the layer above (EtherType handlers into netdev,
// protocol handlers into ip, the resolver into ip), owns the goroutines (one
// poller per device, one net timer) and offers the API the shell and tests
// use. A protocol wired in here registers its periodic job (RegisterTick:
// the net timer runs it) and its counters (RegisterCounters: stat prints
// them), so neither Tick nor stat lists the protocols. Nothing here is
// global: two Stacks live side by side in one process.
package stack
