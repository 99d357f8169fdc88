package dhcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/udp"
)

// The receive path: one goroutine reads port 68 for every client.

// read receives on port 68 until the socket closes, handing each reply to
// the client whose hardware address it carries: a ladder of checks, each
// counted.
func (m *Manager) read(sock *udp.Socket) {
	defer m.reading.Done()
	buf := make([]byte, udp.MaxPayload)
	for {
		n, _, err := sock.RecvFrom(context.Background(), buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		m.dispatch(buf[:n])
	}
}

func (m *Manager) dispatch(b []byte) {
	m.Stats.InMessages.Add(1)
	msg, opts, err := Parse(b)
	if err == nil && opts.Type == 0 {
		err = errors.New("dhcp: no message type (option 53)")
	}
	var c *Client
	if len(b) >= HeaderLen {
		c = m.clientFor(Message(b).ClientMAC())
	}
	switch {
	case c == nil && len(b) >= HeaderLen:
		m.Stats.InOtherClient.Add(1) // another host's answer on a shared link
	case err != nil:
		m.Stats.InMalformed.Add(1)
		if c != nil {
			c.tell("malformed", err.Error())
			break
		}
		for _, c := range m.all() { // too short to say whose: every client hears why
			c.tell("malformed", err.Error())
		}
	case msg.Op() != OpReply:
		m.Stats.InNotReply.Add(1)
		c.tell("op", fmt.Sprintf("op %d is not a reply (BOOTREPLY, 2)", msg.Op()))
	default:
		select {
		case c.in <- received{msg: Message(slices.Clone(b)), opts: opts}:
		default:
			m.Stats.InQueueFull.Add(1)
		}
	}
}

func (m *Manager) all() []*Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Client, 0, len(m.clients))
	for _, c := range m.clients {
		out = append(out, c)
	}
	return out
}

func (m *Manager) clientFor(mac netdev.MAC) *Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	for dev, c := range m.clients {
		if dev.MAC() == mac {
			return c
		}
	}
	return nil
}
