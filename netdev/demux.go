package netdev

// Handler takes a received packet whose data starts at the network header.
// It owns the packet (see Packet).
type Handler func(p *Packet)

// Demux maps EtherTypes to the handlers the protocols registered, like
// Linux's dev_add_pack. It is filled while the stack is wired and only read
// afterwards, so lookups need no lock.
type Demux struct {
	types    []uint16
	handlers []Handler
}

// Register installs h for EtherType t, replacing any earlier handler.
func (d *Demux) Register(t uint16, h Handler) {
	for i, have := range d.types {
		if have == t {
			d.handlers[i] = h
			return
		}
	}
	d.types = append(d.types, t)
	d.handlers = append(d.handlers, h)
}

// Lookup returns the handler for t, or nil.
func (d *Demux) Lookup(t uint16) Handler {
	for i, have := range d.types {
		if have == t {
			return d.handlers[i]
		}
	}
	return nil
}
