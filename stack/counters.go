package stack

// CounterGroup is one layer's counters, for stat.
type CounterGroup struct {
	Name  string
	Stats any // a pointer to a struct of atomic.Uint64 (see internal/counters)
}

// CounterGroups lists every layer's counters, bottom-up, then each device's.
func (s *Stack) CounterGroups() []CounterGroup {
	groups := []CounterGroup{
		{"Arp", &s.ARP.Stats},
		{"Ip", &s.IP.Stats},
		{"IpReasm", &s.IP.Reasm.Stats},
		{"IpFrag", &s.IP.FragStats},
		{"Icmp", &s.ICMP.Stats},
		{"Udp", &s.UDP.Stats},
		{"Tcp", &s.TCP.Stats},
	}
	for _, d := range s.Devices() {
		groups = append(groups, CounterGroup{"Dev " + d.Name(), &d.Stats})
	}
	return groups
}
