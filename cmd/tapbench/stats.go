//go:build linux

package main

import (
	"math"
	"slices"
)

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p% of the values at
// or below it. It returns 0 for an empty slice.
func percentile(sorted []uint32, p float64) uint32 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// median returns the median of xs (the mean of the middle two for an even
// count), or NaN for none. xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianBy is the median over runs of the figure f picks from each.
func medianBy[T any](runs []T, f func(T) float64) float64 {
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = f(r)
	}
	return median(xs)
}

// medianOpt is medianBy for a figure some targets lack (nil): nil when
// the first run has none.
func medianOpt[T any](runs []T, f func(T) *float64) *float64 {
	if len(runs) == 0 || f(runs[0]) == nil {
		return nil
	}
	v := medianBy(runs, func(r T) float64 {
		if p := f(r); p != nil {
			return *p
		}
		return math.NaN()
	})
	return &v
}
