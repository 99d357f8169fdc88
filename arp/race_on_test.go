//go:build race

package arp

// raceEnabled: the race detector makes sync.Pool drop items on purpose, so
// allocation counts of code that takes two packets a run mean nothing.
const raceEnabled = true
