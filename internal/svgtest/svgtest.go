// Package svgtest reads SVG documents back for tests: parsed with
// encoding/xml into elements, found by class, coordinates mapped back
// to values through the axes' own tick labels.
package svgtest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

// Element is one SVG element as parsed back: its name, attributes and
// text.
type Element struct {
	Name string
	Attr map[string]string
	Text string
}

// Parse decodes doc with encoding/xml, failing t unless it is one
// well-formed <svg> element, and returns its elements in document order.
func Parse(t testing.TB, doc []byte) []*Element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var all, open []*Element
	roots := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &Element{Name: tok.Name.Local, Attr: map[string]string{}}
			for _, a := range tok.Attr {
				e.Attr[a.Name.Local] = a.Value
			}
			if len(open) == 0 {
				roots++
			}
			all, open = append(all, e), append(open, e)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				open[len(open)-1].Text += string(tok)
			}
		}
	}
	if roots != 1 || len(all) == 0 || all[0].Name != "svg" || all[0].Attr["xmlns"] != "http://www.w3.org/2000/svg" {
		t.Fatalf("want one <svg> root in the SVG namespace, got %d roots", roots)
	}
	return all
}

// ByClass returns the elements named name of class class.
func ByClass(es []*Element, name, class string) []*Element {
	var out []*Element
	for _, e := range es {
		if e.Name == name && e.Attr["class"] == class {
			out = append(out, e)
		}
	}
	return out
}

func float(t testing.TB, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: not a number", s)
	}
	return v
}

// Points parses a polyline's points into (x, y) pairs.
func Points(t testing.TB, s string) [][2]float64 {
	t.Helper()
	var out [][2]float64
	f := strings.Fields(strings.NewReplacer(",", " ").Replace(s))
	for i := 0; i+1 < len(f); i += 2 {
		out = append(out, [2]float64{float(t, f[i]), float(t, f[i+1])})
	}
	return out
}

// Bar parses a data bar's path: its x, and the y of each end.
func Bar(t testing.TB, d string) (x, y0, y1 float64) {
	t.Helper()
	if _, err := fmt.Sscanf(d, "M%f %fV%f", &x, &y0, &y1); err != nil {
		t.Fatalf("path %q: %v", d, err)
	}
	return x, y0, y1
}

// AxisMap reads the ticks of one axis (lines of tickClass, labels of
// labelClass in the same order) and returns the map from pixels back to
// values, failing t unless ticks and labels both increase.
func AxisMap(t testing.TB, es []*Element, tickClass, labelClass, coord string) func(float64) float64 {
	t.Helper()
	ticks, labels := ByClass(es, "line", tickClass), ByClass(es, "text", labelClass)
	if len(ticks) < 2 || len(ticks) != len(labels) {
		t.Fatalf("%d %s and %d %s, want as many, two at least", len(ticks), tickClass, len(labels), labelClass)
	}
	var px, val []float64
	for i := range ticks {
		px = append(px, float(t, ticks[i].Attr[coord]))
		val = append(val, labelValue(t, labels[i].Text))
		if i > 0 && !(val[i] > val[i-1]) {
			t.Fatalf("%s labels not increasing: %v", labelClass, val)
		}
	}
	return func(p float64) float64 { return val[0] + (p-px[0])*(val[1]-val[0])/(px[1]-px[0]) }
}

// labelValue parses a tick label: "0.25", "12k", "1.5M".
func labelValue(t testing.TB, s string) float64 {
	t.Helper()
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		s, mult = strings.TrimSuffix(s, "k"), 1e3
	case strings.HasSuffix(s, "M"):
		s, mult = strings.TrimSuffix(s, "M"), 1e6
	}
	return float(t, s) * mult
}

// InViewBox fails t for any coordinate outside the viewBox.
func InViewBox(t testing.TB, es []*Element) {
	t.Helper()
	vb := strings.Fields(es[0].Attr["viewBox"])
	if len(vb) != 4 {
		t.Fatalf("viewBox %q", es[0].Attr["viewBox"])
	}
	w, h := float(t, vb[2]), float(t, vb[3])
	check := func(e *Element, x, y float64) {
		if x < 0 || x > w || y < 0 || y > h || math.IsNaN(x+y) {
			t.Errorf("<%s class=%q> at (%v, %v): outside the viewBox %v", e.Name, e.Attr["class"], x, y, vb)
		}
	}
	for _, e := range es {
		for _, k := range [][2]string{{"x", "y"}, {"x1", "y1"}, {"x2", "y2"}} {
			if x, ok := e.Attr[k[0]]; ok {
				check(e, float(t, x), float(t, e.Attr[k[1]]))
			}
		}
		if p, ok := e.Attr["points"]; ok {
			for _, xy := range Points(t, p) {
				check(e, xy[0], xy[1])
			}
		}
		if e.Name == "path" {
			x, y0, y1 := Bar(t, e.Attr["d"])
			check(e, x, y0)
			check(e, x, y1)
		}
	}
}
