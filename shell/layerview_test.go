package shell

import (
	"context"
	"strings"
	"testing"

	"github.com/fatih/color"

	"github.com/gotapip/gotapip/internal/diagram"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/stack"
)

// A layer registered by a protocol and a view registered for it reach
// debug's selectors, describe, the colours and the diagrams, with nothing
// in netdev or the shell naming it.
// Registered once per process (go test -count=2 runs the test twice).
var probe, unviewed = netdev.RegisterLayer("probe"), netdev.RegisterLayer("unviewed")

func init() {
	registerLayerView(probe, layerView{
		color: color.FgHiRed,
		line:  func(b []byte) (string, bool) { return "probe header", len(b) >= 2 },
		fields: func(b []byte) ([]diagram.Field, []string, error) {
			return []diagram.Field{{Name: "Probe", Bits: 32, Value: "x"}}, []string{"probe note"}, nil
		},
	})
}

func TestRegisteredLayerView(t *testing.T) {
	e := netdev.TraceEvent{Layer: probe, Dir: netdev.TraceIn, Data: []byte{1, 2}}
	if got := describe(e); !strings.Contains(got, "probe <- -      probe header") {
		t.Errorf("describe: %q", got)
	}
	if got := describe(netdev.TraceEvent{Layer: probe, Data: []byte{1}}); !strings.Contains(got, "malformed, 1 bytes") {
		t.Errorf("describe of a short packet: %q", got)
	}
	if c := layerColor(probe); c != color.FgHiRed {
		t.Errorf("colour %v, want FgHiRed", c)
	}
	lines := strings.Join(diagramLines(probe, []byte{1, 2, 3, 4}), "\n")
	if !strings.Contains(lines, "Probe") || !strings.Contains(lines, "probe note") {
		t.Errorf("diagram lacks the registered fields:\n%s", lines)
	}

	s := stack.New(stack.Config{TickInterval: -1})
	defer s.Close()
	var out strings.Builder
	sh := New(s, &out, &out)
	err := sh.Execute(context.Background(), "debug nosuch")
	if err == nil || !strings.Contains(err.Error(), "choose from dev l2 arp ip icmp udp") || !strings.Contains(err.Error(), " probe ") {
		t.Errorf("debug nosuch: %v, want the registered layer among the choices", err)
	}
	if c := layerColor(unviewed); c != color.FgWhite {
		t.Errorf("a layer with no view is coloured %v, want white", c)
	}
	if got := diagramLines(unviewed, []byte{9}); !strings.HasPrefix(got[0], "no diagram: layer unviewed has no header") {
		t.Errorf("a layer with no view draws %q", got)
	}
}
