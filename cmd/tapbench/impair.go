//go:build linux

package main

import (
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// The impaired bulk cells. Loss (tcp-rx-loss, tcp-tx-loss) needs a hop
// that no TCP's own stack owns: nftables dropping in the sending kernel's
// output or egress hook is a local send failure, which the kernel's TCP
// repeats at once, not a loss. So the client's kernel TCP moves one routed
// hop back, into a peer namespace, and the client namespace forwards:
//
//	peer ns: tbv8 10.77.9.2/24 ── veth ── tbv9 10.77.9.1/24 (client ns, forwarding) ── each target
//
// Each way PCT% (-tcp-loss) of the TCP segments is dropped at random
// (numgen random): toward the target in the client namespace's forward
// hook, toward the peer in the peer namespace's ingress hook. Both veth
// ends have gso_max_segs 1, so every drop is one wire segment, never a
// 64 KB GSO super-frame: the peer's kernel sends single segments, and what
// a target sends (super-frames from the kernel target or from a stack
// with offloads) is cut into segments on leaving tbv9, before the drop.
// The client namespace masquerades the peer's connections to each target,
// and forwards port 5002 to the peer (tcp-tx), so no target needs a route.
// Reordering (tcp-tx-reorder) is tapip's netem on our device: the kernel
// has no netem qdisc and gVisor's program no netem, so their cells are n/a.

const (
	peerDev      = "tbv8" // in the peer ns
	peerRouteDev = "tbv9" // its other end, in the client ns
	peerAddr     = "10.77.9.2"
	peerGateway  = "10.77.9.1"
	lossTable    = "tbloss"
)

// buildPeer makes the peer namespace behind the client namespace.
func (t *topology) buildPeer() error {
	t.peer = netnsName("peer")
	if err := t.addNetns(t.peer); err != nil {
		return err
	}
	steps := [][]string{
		{"link", "add", peerDev, "netns", t.peer, "type", "veth", "peer", "name", peerRouteDev, "netns", t.client},
		{"-n", t.peer, "addr", "add", peerAddr + subnetPrefix, "dev", peerDev},
		{"-n", t.client, "addr", "add", peerGateway + subnetPrefix, "dev", peerRouteDev},
		{"-n", t.peer, "link", "set", peerDev, "gso_max_segs", "1", "up"},
		{"-n", t.client, "link", "set", peerRouteDev, "gso_max_segs", "1", "up"},
		{"-n", t.peer, "route", "add", "default", "via", peerGateway},
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			return err
		}
	}
	return nsExec(t.client, "sysctl", "-qw", "net.ipv4.ip_forward=1")
}

// impairment is what one bulk cell adds to the path.
type impairment struct {
	topo    *topology
	lossPct int         // > 0: the peer's path, dropping
	netem   *procTarget // reorder: the tapip whose device reorders
	cmd     string      // the netem command
	base    uint64      // drops counted before the current run
}

// impairFor readies the impairment of scenario sc against t, or says why
// the cell cannot run.
func impairFor(o options, topo *topology, t target, sc string) (*impairment, string, error) {
	imp := &impairment{topo: topo}
	switch {
	case strings.HasSuffix(sc, "-loss"):
		if _, err := exec.LookPath("nft"); err != nil {
			return nil, "needs nft(8): make deps (apt-get install nftables)", nil
		}
		imp.lossPct = o.lossPct
		return imp, "", imp.addLoss()
	case strings.HasSuffix(sc, "-reorder"):
		p, ok := t.(*procTarget)
		if !ok {
			return nil, "no netem qdisc in this kernel; tapip's netem reorders on our device only", nil
		}
		imp.netem, imp.cmd = p, fmt.Sprintf("netem %s reorder %d%%", p.iface, o.reorderPct)
		_, err := io.WriteString(p.stdin, imp.cmd+"\n")
		return imp, "", err
	}
	return imp, "", nil
}

// peer is the namespace the client's kernel TCP runs in for this cell.
func (i *impairment) peer(topo *topology) string {
	if i.lossPct > 0 {
		return topo.peer
	}
	return topo.client
}

func (i *impairment) addLoss() error {
	rule := fmt.Sprintf("ip protocol tcp numgen random mod 100 < %d counter drop", i.lossPct)
	router := strings.Join([]string{
		"add table ip " + lossTable,
		"add chain ip " + lossTable + " dropping { type filter hook forward priority 0 ; }",
		"add rule ip " + lossTable + ` dropping iifname "` + peerRouteDev + `" ` + rule,
		"add chain ip " + lossTable + " prenat { type nat hook prerouting priority -100 ; }",
		"add rule ip " + lossTable + ` prenat iifname != "` + peerRouteDev + `" tcp dport ` + strconv.Itoa(tcpSourcePort) + " dnat to " + peerAddr,
		"add chain ip " + lossTable + " postnat { type nat hook postrouting priority 100 ; }",
		"add rule ip " + lossTable + ` postnat ip saddr ` + peerAddr + ` oifname != "` + peerRouteDev + `" masquerade`,
	}, " ; ")
	peer := strings.Join([]string{
		"add table netdev " + lossTable,
		"add chain netdev " + lossTable + ` dropping { type filter hook ingress device "` + peerDev + `" priority 0 ; }`,
		"add rule netdev " + lossTable + " dropping " + rule,
	}, " ; ")
	if err := nsExec(i.topo.client, "nft", router); err != nil {
		return fmt.Errorf("loss: %w", err)
	}
	if err := nsExec(i.topo.peer, "nft", peer); err != nil {
		return err
	}
	// Connection tracking (for the NAT) must not judge segments outside
	// the window it saw as invalid: under loss and SACK there are many.
	return nsExec(i.topo.client, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_be_liberal=1")
}

// reset starts a run: the drops counted from here on are the run's.
func (i *impairment) reset() error {
	i.base = i.totalDropped()
	return nil
}

// dropped is how many segments the loss rules dropped since reset.
func (i *impairment) dropped() uint64 { return i.totalDropped() - i.base }

var nftCounter = regexp.MustCompile(`counter packets (\d+)`)

func (i *impairment) totalDropped() uint64 {
	if i.lossPct == 0 {
		return 0
	}
	var n uint64
	for _, c := range [][2]string{{i.topo.client, "ip"}, {i.topo.peer, "netdev"}} {
		out, _ := nsOutput(c[0], "nft", "list", "table", c[1], lossTable)
		for _, m := range nftCounter.FindAllStringSubmatch(out, -1) {
			k, _ := strconv.ParseUint(m[1], 10, 64)
			n += k
		}
	}
	return n
}

// remove undoes the impairment: the NAT's connection tracking must not
// stay in the client namespace to slow the cells that follow.
func (i *impairment) remove() {
	if i.lossPct > 0 {
		nsExec(i.topo.client, "nft", "delete", "table", "ip", lossTable)
		nsExec(i.topo.peer, "nft", "delete", "table", "netdev", lossTable)
	}
	if i.netem != nil {
		io.WriteString(i.netem.stdin, fmt.Sprintf("netem %s off\n", i.netem.iface))
	}
}
