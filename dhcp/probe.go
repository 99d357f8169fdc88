package dhcp

import (
	"fmt"
	"time"

	"github.com/gotapip/gotapip/arp"
)

// startProbe checks that nobody uses the acked address before binding it
// (RFC 5227 2.1.1): after a random wait up to ProbeWait, ProbeNum ARP
// probes ProbeMin to ProbeMax apart, then AnnounceWait listening. Any host
// heard using the address is a conflict. ProbeNum < 0 skips the probe.
func (c *Client) startProbe() {
	cfg := &c.m.cfg
	if cfg.ProbeNum < 0 {
		c.bind()
		return
	}
	p, err := c.m.stack.ARP.NewConflictProbe(c.dev, c.lease.Addr.Addr())
	if err != nil {
		c.logf("dhclient: %s: no ARP probe of %v (%v): using it unchecked", c.dev.Name(), c.lease.Addr.Addr(), err)
		c.bind()
		return
	}
	c.probe, c.probes, c.state = p, 0, stateProbing
	c.arm(c.between(0, cfg.ProbeWait))
}

// nextProbe sends the next probe, or binds once the last one's wait has
// passed in silence.
func (c *Client) nextProbe() {
	cfg := &c.m.cfg
	if c.probes == cfg.ProbeNum {
		c.closeProbe()
		c.bind()
		return
	}
	c.probe.SendProbe(c.dev)
	c.probes++
	if c.probes == cfg.ProbeNum {
		c.arm(cfg.AnnounceWait)
		return
	}
	c.arm(c.between(cfg.ProbeMin, cfg.ProbeMax))
}

// conflict declines an address another host answered for, then waits
// before starting over (RFC 2131 3.1 step 5: at least 10 s).
func (c *Client) conflict(a arp.Answer) {
	if c.state != stateProbing {
		return
	}
	addr := c.lease.Addr.Addr()
	c.m.Stats.ProbeConflicts.Add(1)
	c.logf("dhclient: %v is in use by %v (ARP probe, RFC 5227)", addr, a.MAC)
	c.closeProbe()
	c.sendDecline(addr)
	c.lease = Lease{}
	c.restarts++
	if c.foreground && c.restarts > maxRestarts {
		c.finish(fmt.Errorf("dhclient: %s: every address offered was in use (gave up after %d tries)", c.dev.Name(), c.restarts))
		return
	}
	c.state = stateWaiting
	c.arm(c.m.cfg.DeclineWait)
}

func (c *Client) closeProbe() {
	if c.probe != nil {
		c.probe.Close()
		c.probe = nil
	}
}

// between draws a wait from lo to hi.
func (c *Client) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(c.m.rand.Int64N(int64(hi-lo)+1))
}
