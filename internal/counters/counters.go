// Package counters walks the counter structs of the layers (ip.Stats,
// netdev.Stats, ...): structs whose fields are atomic.Uint64 named as the
// MIBs name them. One walker serves printing (stat) and zeroing (stat -z),
// so adding a counter is adding a field.
package counters

import (
	"reflect"
	"sync/atomic"
)

// Counter is one named field of a counter struct.
type Counter struct {
	Name  string
	Value *atomic.Uint64
}

var uint64Type = reflect.TypeFor[atomic.Uint64]()

// Of lists the atomic.Uint64 fields of the struct stats points to, in
// declaration order. Fields of other types are skipped.
func Of(stats any) []Counter {
	v := reflect.ValueOf(stats)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	v = v.Elem()
	var out []Counter
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Type == uint64Type && f.IsExported() {
			out = append(out, Counter{Name: f.Name, Value: v.Field(i).Addr().Interface().(*atomic.Uint64)})
		}
	}
	return out
}

// Reset zeroes every counter of the struct stats points to.
func Reset(stats any) {
	for _, c := range Of(stats) {
		c.Value.Store(0)
	}
}
