// Package counters walks the counter structs of the layers (ip.Stats,
// netdev.Stats, ...): structs whose fields are atomic.Uint64 named as the
// MIBs name them. One walker serves printing (stat) and zeroing (stat -z),
// so adding a counter is adding a field.
package counters

import (
	"reflect"
	"strings"
	"sync/atomic"
)

// Counter is one named field of a counter struct.
type Counter struct {
	Name  string // the field's name, or the name its tag gives
	Value *atomic.Uint64
	// Full: Name is the whole name nstat prints (TcpExtTCPChallengeACK),
	// from the field's tag, rather than one to put after the group's
	// prefix (Tcp + ActiveOpens).
	Full bool
	// Gauge: the field is a level (TcpCurrEstab), not a count: Reset
	// leaves it, or its later decrements would wrap.
	Gauge bool
}

var uint64Type = reflect.TypeFor[atomic.Uint64]()

// Of lists the atomic.Uint64 fields of the struct stats points to, in
// declaration order. Fields of other types are skipped. A field's tag
// nstat:"NAME,gauge" gives its whole nstat name (Linux keeps many of its
// counters in another group: Tcp's extras are TcpExt...), and marks a
// gauge; either part may be left out (nstat:",gauge").
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
			c := Counter{Name: f.Name, Value: v.Field(i).Addr().Interface().(*atomic.Uint64)}
			name, opt, _ := strings.Cut(f.Tag.Get("nstat"), ",")
			if name != "" {
				c.Name, c.Full = name, true
			}
			c.Gauge = opt == "gauge"
			out = append(out, c)
		}
	}
	return out
}

// Reset zeroes every counter of the struct stats points to, gauges
// excepted.
func Reset(stats any) {
	for _, c := range Of(stats) {
		if !c.Gauge {
			c.Value.Store(0)
		}
	}
}
