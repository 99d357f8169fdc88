package tcpgraph

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

// element is one SVG element as parsed back: its name, attributes and
// text.
type element struct {
	name string
	attr map[string]string
	text string
}

// parseSVG decodes doc with encoding/xml, failing t unless it is one
// well-formed <svg> element, and returns its elements in document order.
func parseSVG(t *testing.T, doc []byte) []*element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var all, open []*element
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
			e := &element{name: tok.Name.Local, attr: map[string]string{}}
			for _, a := range tok.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			if len(open) == 0 {
				roots++
			}
			all, open = append(all, e), append(open, e)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				open[len(open)-1].text += string(tok)
			}
		}
	}
	if roots != 1 || len(all) == 0 || all[0].name != "svg" || all[0].attr["xmlns"] != "http://www.w3.org/2000/svg" {
		t.Fatalf("want one <svg> root in the SVG namespace, got %d roots", roots)
	}
	return all
}

// byClass returns the elements named name of class class.
func byClass(es []*element, name, class string) []*element {
	var out []*element
	for _, e := range es {
		if e.name == name && e.attr["class"] == class {
			out = append(out, e)
		}
	}
	return out
}

func float(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: not a number", s)
	}
	return v
}

// points parses a polyline's points into (x, y) pairs.
func points(t *testing.T, s string) [][2]float64 {
	t.Helper()
	var out [][2]float64
	f := strings.Fields(strings.NewReplacer(",", " ").Replace(s))
	for i := 0; i+1 < len(f); i += 2 {
		out = append(out, [2]float64{float(t, f[i]), float(t, f[i+1])})
	}
	return out
}

// barOf parses a data bar's path: its x, and the y of each end.
func barOf(t *testing.T, d string) (x, y0, y1 float64) {
	t.Helper()
	if _, err := fmt.Sscanf(d, "M%f %fV%f", &x, &y0, &y1); err != nil {
		t.Fatalf("path %q: %v", d, err)
	}
	return x, y0, y1
}

// axisMap reads the ticks of one axis (lines of tickClass, labels of
// labelClass in the same order) and returns the map from pixels back to
// values, failing t unless ticks and labels both increase.
func axisMap(t *testing.T, es []*element, tickClass, labelClass, coord string) func(float64) float64 {
	t.Helper()
	ticks, labels := byClass(es, "line", tickClass), byClass(es, "text", labelClass)
	if len(ticks) < 2 || len(ticks) != len(labels) {
		t.Fatalf("%d %s and %d %s, want as many, two at least", len(ticks), tickClass, len(labels), labelClass)
	}
	var px, val []float64
	for i := range ticks {
		px = append(px, float(t, ticks[i].attr[coord]))
		val = append(val, labelValue(t, labels[i].text))
		if i > 0 && !(val[i] > val[i-1]) {
			t.Fatalf("%s labels not increasing: %v", labelClass, val)
		}
	}
	return func(p float64) float64 { return val[0] + (p-px[0])*(val[1]-val[0])/(px[1]-px[0]) }
}

// labelValue parses a tick label: "0.25", "12k", "1.5M".
func labelValue(t *testing.T, s string) float64 {
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

// inViewBox fails t for any coordinate outside the viewBox.
func inViewBox(t *testing.T, es []*element) {
	t.Helper()
	vb := strings.Fields(es[0].attr["viewBox"])
	if len(vb) != 4 {
		t.Fatalf("viewBox %q", es[0].attr["viewBox"])
	}
	w, h := float(t, vb[2]), float(t, vb[3])
	check := func(e *element, x, y float64) {
		if x < 0 || x > w || y < 0 || y > h || math.IsNaN(x+y) {
			t.Errorf("<%s class=%q> at (%v, %v): outside the viewBox %v", e.name, e.attr["class"], x, y, vb)
		}
	}
	for _, e := range es {
		for _, k := range [][2]string{{"x", "y"}, {"x1", "y1"}, {"x2", "y2"}} {
			if x, ok := e.attr[k[0]]; ok {
				check(e, float(t, x), float(t, e.attr[k[1]]))
			}
		}
		if p, ok := e.attr["points"]; ok {
			for _, xy := range points(t, p) {
				check(e, xy[0], xy[1])
			}
		}
		if e.name == "path" {
			x, y0, y1 := barOf(t, e.attr["d"])
			check(e, x, y0)
			check(e, x, y1)
		}
	}
}
