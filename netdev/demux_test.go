package netdev

import "testing"

func TestDemux(t *testing.T) {
	var d Demux
	var got []string
	d.Register(EtherTypeIPv4, func(*Packet) { got = append(got, "ip") })
	d.Register(EtherTypeARP, func(*Packet) { got = append(got, "arp") })
	if h := d.Lookup(0x86dd); h != nil {
		t.Error("Lookup(0x86dd) found a handler, want nil")
	}
	d.Lookup(EtherTypeARP)(nil)
	d.Lookup(EtherTypeIPv4)(nil)
	d.Register(EtherTypeARP, func(*Packet) { got = append(got, "arp2") }) // replaces
	d.Lookup(EtherTypeARP)(nil)
	want := []string{"arp", "ip", "arp2"}
	if len(got) != len(want) {
		t.Fatalf("handlers ran %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("handlers ran %v, want %v", got, want)
		}
	}
	if len(d.types) != 2 {
		t.Errorf("re-registering grew the table to %d entries, want 2", len(d.types))
	}
}

func TestDemuxEmpty(t *testing.T) {
	var d Demux
	if d.Lookup(EtherTypeIPv4) != nil {
		t.Error("empty Demux returned a handler")
	}
}
