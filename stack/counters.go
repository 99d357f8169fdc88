package stack

// CounterGroup is one layer's counters, for stat.
type CounterGroup struct {
	// Prefix goes before each counter's name to make the name nstat prints
	// (Ip + InReceives = IpInReceives; Ip + ReasmOKs = IpReasmOKs).
	// A device's counters go under its name (sim0.RxPackets): Linux keeps
	// those out of nstat, in ip -s link.
	Prefix string
	Stats  any // a pointer to a struct of atomic.Uint64 (see internal/counters)
}

// CounterGroups lists every layer's counters, bottom-up, then each device's.
func (s *Stack) CounterGroups() []CounterGroup {
	groups := []CounterGroup{
		{"Arp", &s.ARP.Stats},
		{"Ip", &s.IP.Stats},
		{"Ip", &s.IP.Reasm.Stats},
		{"Ip", &s.IP.FragStats},
		{"Icmp", &s.ICMP.Stats},
		{"Udp", &s.UDP.Stats},
	}
	for _, d := range s.Devices() {
		groups = append(groups, CounterGroup{d.Name() + ".", &d.Stats})
	}
	return groups
}
