//go:build race

package tcp

// raceEnabled: under the race detector sync.Pool drops buffers at random,
// so allocation counts mean nothing.
const raceEnabled = true
