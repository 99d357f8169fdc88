//go:build !race

package ip

const raceEnabled = false
