package chaos

import (
	"time"

	"github.com/floatlic/floatlic/internal/faultnet"
)

// The network faults. A mode is faultnet.Reset (connections reset at
// once, as when a firewall rejects), faultnet.Blackhole (nothing passes,
// nothing closes, as when a cable is pulled) or faultnet.Pass (healed).
// The raft faults do nothing on a single node.

// IsolateRaft sets the mode of node's raft links to and from the other two
// nodes.
func (c *Cluster) IsolateRaft(node int, m faultnet.Mode) {
	if !c.cfg.HAL {
		return
	}
	i := node - 1
	for j := range 3 {
		if j != i {
			c.raft[i][j].SetMode(m)
			c.raft[j][i].SetMode(m)
		}
	}
}

// SplitRaft sets the mode of every raft link: m other than Pass cuts the
// three nodes from each other.
func (c *Cluster) SplitRaft(m faultnet.Mode) {
	if !c.cfg.HAL {
		return
	}
	for i := range 3 {
		for j := range 3 {
			if i != j {
				c.raft[i][j].SetMode(m)
			}
		}
	}
}

// HealRaft lets every raft link pass again.
func (c *Cluster) HealRaft() { c.SplitRaft(faultnet.Pass) }

// HostLinks sets the mode of every proxy of client host: m other than Pass
// cuts that client off from every node.
func (c *Cluster) HostLinks(host int, m faultnet.Mode) {
	for _, p := range c.hosts[host] {
		p.SetMode(m)
	}
}

// NodeLinks sets the mode of every client host's proxy to node: m other
// than Pass cuts that node off from every client, not from the others.
func (c *Cluster) NodeLinks(node int, m faultnet.Mode) {
	for _, links := range c.hosts {
		links[node-1].SetMode(m)
	}
}

// SetClientDelay holds every chunk on every client proxy for d, both ways;
// 0 removes the delay.
func (c *Cluster) SetClientDelay(d time.Duration) {
	for _, links := range c.hosts {
		for _, p := range links {
			p.SetDelay(d)
		}
	}
}

// HealClients sets every client proxy back to Pass with no delay.
func (c *Cluster) HealClients() {
	for _, links := range c.hosts {
		for _, p := range links {
			p.SetMode(faultnet.Pass)
			p.SetDelay(0)
		}
	}
}
