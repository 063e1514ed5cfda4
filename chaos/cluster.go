// Package chaos proves the count under faults: it runs real licd processes
// (one node, or a three-node HAL set) on loopback with a TCP proxy the test
// controls on every client link and every raft link, injects faults (kill
// -9, restart, SIGSTOP, partitions, resets, delays, a lost data dir), and
// checks what the clients saw.
//
// This file is the cluster harness the suite drives. Every node's client
// address is its real one (the license's HAL_SERVERS); clients reach it
// through their host's proxy (ClientServers), so the suite can cut one
// client host off, or one node from every client, without touching the
// node. Node i dials node j's raft transport through its own proxy, so a
// node can be isolated from the others both ways. No method fails a test:
// each returns an error that says what it was doing.
package chaos

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/floatlic/floatlic/internal/childproc"
	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/faultnet"
)

const (
	// startWait bounds a node's start (its "listening on" line) and the
	// cluster's first election.
	startWait = 30 * time.Second
	// killWait bounds the wait for a process to exit after SIGKILL.
	killWait = 10 * time.Second
	// statusTimeout bounds one status request: a paused node costs this.
	statusTimeout = time.Second
	// pollEvery is how often waits poll.
	pollEvery = 50 * time.Millisecond
	// snapshotInterval is --raft-snapshot-interval when SnapshotEntries is set.
	snapshotInterval = 200 * time.Millisecond
)

// ClusterConfig configures StartCluster.
type ClusterConfig struct {
	Licd            string        // path of the licd binary
	Dir             string        // work dir (the test's TempDir): license, keys, data dirs, node logs
	HAL             bool          // three HAL nodes, or one single node
	ClientHosts     int           // client "hosts": each gets its own faultnet proxy to every node
	Heartbeat       time.Duration // licd --heartbeat-interval; 0: licd's default
	RaftTimeout     time.Duration // --raft-timeout (HAL); 0: licd's default
	SnapshotEntries int           // --raft-snapshot-entries (HAL), with --raft-snapshot-interval 200ms; 0: licd's defaults
	Extra           []string      // more licd serve flags for every node
}

// Cluster is a running single node or HAL set with its proxies.
type Cluster struct {
	cfg     ClusterConfig
	spawner *childproc.Spawner
	nodes   []*node
	raft    [3][3]*faultnet.Proxy // HAL: raft[i][j] is node i+1's link to node j+1
	hosts   [][]*faultnet.Proxy   // hosts[h][i] is client host h's link to node i+1
	hc      *http.Client

	mu     sync.Mutex // guards every node's proc and paused, and crash
	crash  error      // the first exit not caused by Kill or Close
	closed bool
}

// node is one licd: its flags, and its current process while up.
type node struct {
	id     int
	addr   string // real client address
	data   string // data dir
	log    string // stdout and stderr of every run, appended
	args   []string
	proc   *proc // nil while down
	paused bool
}

// proc is one run of a node's licd.
type proc struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed once the process has exited
	killed bool          // by Kill or Close: not a crash
}

// StartCluster writes the demo license and keys into cfg.Dir, starts every
// node and its proxies, and waits until each node listens and one node
// serves that all agree on. On error it stops what it started.
func StartCluster(cfg ClusterConfig) (*Cluster, error) {
	if cfg.Licd == "" || cfg.Dir == "" || cfg.ClientHosts < 0 {
		return nil, errors.New("chaos: StartCluster needs Licd, Dir and ClientHosts >= 0")
	}
	n := 1
	if cfg.HAL {
		n = 3
	}
	addrs, release, err := childproc.ReserveAddrs(2 * n)
	if err != nil {
		return nil, err
	}
	defer release()
	c := &Cluster{cfg: cfg, spawner: childproc.NewSpawner(), hc: statusClient()}
	if err := c.setup(addrs[:n], addrs[n:]); err != nil {
		c.Close()
		return nil, err
	}
	release()
	if err := c.startAll(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// statusClient is the harness's own HTTP client, apart from the clients
// under test.
func statusClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Timeout: statusTimeout, Transport: tr}
}

// setup writes the license and keys, opens the proxies and builds each
// node's command line.
func (c *Cluster) setup(clients, raft []string) error {
	if !c.cfg.HAL {
		files, err := demo.Setup(c.cfg.Dir, nil)
		if err != nil {
			return fmt.Errorf("set up single node in %s: %w", c.cfg.Dir, err)
		}
		c.nodes = []*node{c.newNode(1, clients[0], files.DataDir, []string{"serve",
			"--license", files.License, "--vendor-pub", files.VendorPub, "--data", files.DataDir,
			"--admin-token-file", files.AdminToken, "--listen", clients[0]})}
		return c.openHosts()
	}
	files, err := demo.SetupHAL(c.cfg.Dir, [3]string(clients), [3]string(raft))
	if err != nil {
		return fmt.Errorf("set up HAL set in %s: %w", c.cfg.Dir, err)
	}
	if err := c.openRaft(files.Raft); err != nil {
		return err
	}
	for id := 1; id <= 3; id++ {
		args := files.ServeArgs(id)
		if err := replaceFlag(args, "--raft-peers", c.peersOf(id, files.Raft)); err != nil {
			return err
		}
		c.nodes = append(c.nodes, c.newNode(id, files.Clients[id-1], files.DataDirs[id-1], args))
	}
	return c.openHosts()
}

// newNode is node id with the config's flags added to args.
func (c *Cluster) newNode(id int, addr, data string, args []string) *node {
	cfg := c.cfg
	if cfg.Heartbeat > 0 {
		args = append(args, "--heartbeat-interval", cfg.Heartbeat.String())
	}
	if cfg.HAL && cfg.RaftTimeout > 0 {
		args = append(args, "--raft-timeout", cfg.RaftTimeout.String())
	}
	if cfg.HAL && cfg.SnapshotEntries > 0 {
		args = append(args, "--raft-snapshot-entries", strconv.Itoa(cfg.SnapshotEntries),
			"--raft-snapshot-interval", snapshotInterval.String())
	}
	return &node{id: id, addr: addr, data: data, args: append(args, cfg.Extra...),
		log: filepath.Join(cfg.Dir, fmt.Sprintf("node%d.log", id))}
}

// replaceFlag sets the value that follows flag in args.
func replaceFlag(args []string, flag, value string) error {
	for i := range len(args) - 1 {
		if args[i] == flag {
			args[i+1] = value
			return nil
		}
	}
	return fmt.Errorf("chaos: no %s in the node's arguments %q", flag, args)
}

// openRaft puts a proxy on each of the six raft links.
func (c *Cluster) openRaft(raft [3]string) error {
	for i := range 3 {
		for j := range 3 {
			if i == j {
				continue
			}
			p, err := faultnet.Listen("127.0.0.1:0", raft[j])
			if err != nil {
				return fmt.Errorf("raft proxy #%d->#%d: %w", i+1, j+1, err)
			}
			c.raft[i][j] = p
		}
	}
	return nil
}

// peersOf is node id's --raft-peers: the others through its proxies,
// itself at its own raft address.
func (c *Cluster) peersOf(id int, raft [3]string) string {
	peers := make([]string, 3)
	for j := range 3 {
		if j == id-1 {
			peers[j] = raft[j]
		} else {
			peers[j] = c.raft[id-1][j].Addr()
		}
	}
	return strings.Join(peers, ",")
}

// openHosts gives each client host a proxy to every node.
func (c *Cluster) openHosts() error {
	for h := range c.cfg.ClientHosts {
		var links []*faultnet.Proxy
		for _, n := range c.nodes {
			p, err := faultnet.Listen("127.0.0.1:0", n.addr)
			if err != nil {
				return fmt.Errorf("client host %d proxy to node #%d: %w", h, n.id, err)
			}
			links = append(links, p)
		}
		c.hosts = append(c.hosts, links)
	}
	return nil
}

// startAll starts every node, waits for each to listen, then for one to
// serve.
func (c *Cluster) startAll() error {
	offsets := make([]int64, len(c.nodes))
	for i, n := range c.nodes {
		off, err := c.spawn(n)
		if err != nil {
			return err
		}
		offsets[i] = off
	}
	for i, n := range c.nodes {
		if err := c.waitListening(n, offsets[i]); err != nil {
			return err
		}
	}
	if _, err := c.WaitServing(startWait); err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	return nil
}

// Nodes returns how many nodes the cluster has: 1 or 3.
func (c *Cluster) Nodes() int { return len(c.nodes) }

// HAL reports whether the cluster is a HAL set.
func (c *Cluster) HAL() bool { return c.cfg.HAL }

// NodeAddr returns node's real client address (its HAL_SERVERS entry);
// node is 1-based.
func (c *Cluster) NodeAddr(node int) string { return c.nodes[node-1].addr }

// ClientServers returns client host's proxy address to each node, in node
// order: the server list of a client on that host. host is 0-based.
func (c *Cluster) ClientServers(host int) []string {
	var addrs []string
	for _, p := range c.hosts[host] {
		addrs = append(addrs, p.Addr())
	}
	return addrs
}

// NodeOf returns the node (1-based) whose real client address or any host
// proxy address is addr; 0 if none.
func (c *Cluster) NodeOf(addr string) int {
	for _, n := range c.nodes {
		if n.addr == addr {
			return n.id
		}
	}
	for _, links := range c.hosts {
		for i, p := range links {
			if p.Addr() == addr {
				return i + 1
			}
		}
	}
	return 0
}

// LogTail returns the last lines of node's log file (every run appended).
func (c *Cluster) LogTail(node int, lines int) string {
	b, err := os.ReadFile(c.nodes[node-1].log)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// Close kills every node (paused ones too) with SIGKILL, waits for them,
// and closes every proxy. It may be called more than once.
func (c *Cluster) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	for _, n := range c.nodes {
		_ = c.stop(n)
	}
	for _, p := range c.allProxies() {
		p.Close()
	}
	c.spawner.Close()
}

// allProxies returns every raft and client proxy.
func (c *Cluster) allProxies() []*faultnet.Proxy {
	var ps []*faultnet.Proxy
	for i := range c.raft {
		for _, p := range c.raft[i] {
			if p != nil {
				ps = append(ps, p)
			}
		}
	}
	for _, links := range c.hosts {
		ps = append(ps, links...)
	}
	return ps
}
