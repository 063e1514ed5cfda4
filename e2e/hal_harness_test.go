package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/childproc"
	"github.com/floatlic/floatlic/internal/faultnet"
	"github.com/floatlic/floatlic/internal/wire"
)

// The HAL harness: three `licd serve --hal-id N` processes on loopback
// serving one signed HAL license, with a faultnet proxy on every raft link
// (node i dials node j through links[i][j]), so a test can kill, pause,
// restart or cut off any node. Every wait polls with a deadline; when a
// test fails, every node's log is dumped.

const (
	halFeature = "cad_hal"
	halCount   = 20
	// halWait bounds a wait for the cluster to settle: an election, a
	// catch-up, a node that starts.
	halWait = 20 * time.Second
)

// halRaftTimeout is the nodes' --raft-timeout. The default, 500 ms, gives
// a leader lease of 250 ms, and on a loaded 2-core machine running the
// tests under -race a leader missed it now and then and stepped down
// in the middle of a test ("failed to contact quorum of nodes"): the
// tests check failover, not how fast it is on a busy machine.
const halRaftTimeout = "1s"

// halHC asks for status: short, so a paused node costs a second, not more.
var halHC = &http.Client{Timeout: time.Second}

type halCluster struct {
	t         *testing.T
	dir       string
	license   string
	vendorPub string
	nodes     [3]*halNode
	links     [3][3]*faultnet.Proxy // links[i][j]: node i+1 dials node j+1 through it
}

// halNode is one node: its addresses, its flags and every run of its process.
type halNode struct {
	id       int
	addr     string // its HAL_SERVERS entry: where clients reach it
	raftAddr string // where its raft transport listens
	data     string
	args     []string
	cur      *halProc   // nil while down
	paused   bool       // stopped with SIGSTOP
	runs     []*halProc // every run, for the logs
}

// halProc is one run of a node's licd.
type halProc struct {
	cmd    *exec.Cmd
	out    logBuf // stdout and stderr
	exited chan struct{}
}

// logBuf collects a process's output; safe for concurrent use.
type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newHALCluster makes a vendor key, three data dirs and their token keys,
// signs a HAL license for them (feature cad_hal, COUNT 20, BORROW 24),
// starts the three nodes with extra flags added to each, and waits for one
// of them to serve.
func newHALCluster(t *testing.T, extra ...string) *halCluster {
	t.Helper()
	c := &halCluster{t: t, dir: t.TempDir()}
	ports, release := reserveAddrs(t, 6)
	defer release()
	for i := range c.nodes {
		c.nodes[i] = &halNode{id: i + 1, addr: ports[i], raftAddr: ports[3+i],
			data: filepath.Join(c.dir, fmt.Sprintf("node%d", i+1))}
	}
	c.writeLicense()
	c.startLinks()
	for _, n := range c.nodes {
		n.args = append([]string{"serve", "--license", c.license, "--vendor-pub", c.vendorPub,
			"--data", n.data, "--listen", n.addr, "--heartbeat-interval", "1s", "--raft-timeout", halRaftTimeout,
			"--hal-id", fmt.Sprint(n.id), "--raft-listen", n.raftAddr, "--raft-peers", c.peersOf(n.id)},
			extra...)
	}
	t.Cleanup(c.stopAll)
	t.Cleanup(c.dumpOnFailure) // runs first: the logs before the kill
	release()
	for _, n := range c.nodes {
		c.spawn(n)
	}
	for _, n := range c.nodes {
		c.waitListening(n)
	}
	c.waitServing()
	return c
}

// reserveAddrs returns n distinct free 127.0.0.1 addresses, held until
// release is called: the harness's own proxies, which listen on port 0,
// cannot take one of them meanwhile.
func reserveAddrs(t *testing.T, n int) (addrs []string, release func()) {
	t.Helper()
	addrs, release, err := childproc.ReserveAddrs(n)
	if err != nil {
		t.Fatal(err)
	}
	return addrs, release
}

// writeLicense makes the vendor key and the nodes' token keys with the
// binaries, as an admin and a vendor would, and signs the HAL license.
func (c *halCluster) writeLicense() {
	t := c.t
	t.Helper()
	if _, stderr, code := run(t, "licgen", "keygen", "--out", filepath.Join(c.dir, "vendor")); code != 0 {
		t.Fatalf("licgen keygen: %s", stderr)
	}
	var keys, servers []string
	for _, n := range c.nodes {
		keys = append(keys, tokenKeyOf(t, n.data))
		servers = append(servers, n.addr)
	}
	c.vendorPub = filepath.Join(c.dir, "vendor.pub")
	c.license = filepath.Join(c.dir, "hal.lic")
	c.sign(c.license, halTemplate(halFeature, servers, keys))
}

// sign signs template into the license file out with the cluster's vendor key.
func (c *halCluster) sign(out, template string) {
	c.t.Helper()
	tmpl := out + ".tmpl"
	if err := os.WriteFile(tmpl, []byte(template), 0o644); err != nil {
		c.t.Fatal(err)
	}
	if _, stderr, code := run(c.t, "licgen", "sign", "--key", filepath.Join(c.dir, "vendor.key"), "--out", out, tmpl); code != 0 {
		c.t.Fatalf("licgen sign %s: %s", tmpl, stderr)
	}
}

// halTemplate is a HAL feature block; keys may be nil (no TOKEN_KEY).
func halTemplate(feature string, servers, keys []string) string {
	s := fmt.Sprintf("FEATURE %s {\n  VENDOR = acme\n  VERSION = 1.0\n  COUNT = %d\n  BORROW = 24\n  GRACE = 24\n"+
		"  HAL_SERVERS = \"%s\"\n  EXPIRE = permanent\n", feature, halCount, strings.Join(servers, " "))
	if len(keys) > 0 {
		s += fmt.Sprintf("  TOKEN_KEY = \"%s\"\n", strings.Join(keys, " "))
	}
	return s + "}\n"
}

// startLinks puts a proxy on each of the six raft links.
func (c *halCluster) startLinks() {
	for i, from := range c.nodes {
		for j, to := range c.nodes {
			if i == j {
				continue
			}
			p, err := faultnet.Listen("127.0.0.1:0", to.raftAddr)
			if err != nil {
				c.t.Fatalf("proxy %d->%d: %v", from.id, to.id, err)
			}
			c.links[i][j] = p
			c.t.Cleanup(func() { p.Close() })
		}
	}
}

// peersOf is node id's --raft-peers: the others through its proxies, itself
// at its own raft address.
func (c *halCluster) peersOf(id int) string {
	var peers []string
	for j, n := range c.nodes {
		if n.id == id {
			peers = append(peers, n.raftAddr)
		} else {
			peers = append(peers, c.links[id-1][j].Addr())
		}
	}
	return strings.Join(peers, ",")
}

func (c *halCluster) node(id int) *halNode { return c.nodes[id-1] }

// addrs returns the three client addresses in role order: the server list
// of a client.
func (c *halCluster) addrs() []string {
	return []string{c.nodes[0].addr, c.nodes[1].addr, c.nodes[2].addr}
}

// spawn starts node n's licd without waiting for it.
func (c *halCluster) spawn(n *halNode) {
	c.t.Helper()
	if n.cur != nil {
		c.t.Fatalf("node %d is already running", n.id)
	}
	p := &halProc{cmd: exec.Command(filepath.Join(binDir, "licd"), n.args...), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		c.t.Fatalf("start node %d: %v", n.id, err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	n.cur = p
	n.runs = append(n.runs, p)
}

// waitListening waits for node n's "listening on" line.
func (c *halCluster) waitListening(n *halNode) {
	c.t.Helper()
	deadline := time.Now().Add(halWait)
	for !strings.Contains(n.cur.out.String(), "listening on ") {
		select {
		case <-n.cur.exited:
			c.t.Fatalf("node %d exited at start (%v):\n%s", n.id, n.cur.cmd.ProcessState, n.cur.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("node %d did not start listening within %v", n.id, halWait)
		}
	}
}

// start starts a node that is down, with the flags it had.
func (c *halCluster) start(id int) {
	c.t.Helper()
	n := c.node(id)
	c.spawn(n)
	c.waitListening(n)
}

// kill sends SIGKILL to node id and waits for it to be gone.
func (c *halCluster) kill(id int) {
	c.t.Helper()
	n := c.node(id)
	if n.cur == nil {
		c.t.Fatalf("node %d is not running", id)
	}
	n.cur.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-n.cur.exited:
	case <-time.After(10 * time.Second):
		c.t.Fatalf("node %d did not die from SIGKILL", id)
	}
	n.cur, n.paused = nil, false
}

// pause stops node id with SIGSTOP: it holds its ports and answers
// nothing, like a node in a long GC pause or a frozen VM.
func (c *halCluster) pause(id int) {
	n := c.node(id)
	n.cur.cmd.Process.Signal(syscall.SIGSTOP)
	n.paused = true
}

// resume continues a paused node.
func (c *halCluster) resume(id int) {
	n := c.node(id)
	n.cur.cmd.Process.Signal(syscall.SIGCONT)
	n.paused = false
}

// answering reports whether node n is running and not paused: whether
// its status is worth asking for.
func (n *halNode) answering() bool { return n.cur != nil && !n.paused }

// isolate sets the mode of node id's raft links, both ways, to the two
// others: faultnet.Blackhole or faultnet.Reset cut it off, faultnet.Pass
// heals.
func (c *halCluster) isolate(id int, m faultnet.Mode) {
	i := id - 1
	for j := range c.nodes {
		if j != i {
			c.links[i][j].SetMode(m)
			c.links[j][i].SetMode(m)
		}
	}
}

func (c *halCluster) stopAll() {
	for _, n := range c.nodes {
		if n.cur != nil {
			n.cur.cmd.Process.Signal(syscall.SIGKILL) // a stopped process dies too
			select {
			case <-n.cur.exited:
			case <-time.After(10 * time.Second):
			}
			n.cur = nil
		}
	}
}

// dumpOnFailure logs the tail of every run of every node when the test
// failed.
func (c *halCluster) dumpOnFailure() {
	if !c.t.Failed() {
		return
	}
	for _, n := range c.nodes {
		for r, p := range n.runs {
			lines := strings.Split(strings.TrimRight(p.out.String(), "\n"), "\n")
			if len(lines) > 200 {
				lines = lines[len(lines)-200:]
			}
			c.t.Logf("--- node %d (%s), run %d, last %d lines:\n%s", n.id, n.addr, r+1, len(lines), strings.Join(lines, "\n"))
		}
	}
}

// log returns the output of node id's current (or last) run.
func (c *halCluster) log(id int) string {
	n := c.node(id)
	if len(n.runs) == 0 {
		return ""
	}
	return n.runs[len(n.runs)-1].out.String()
}

// status asks node id for /v1/status.
func (c *halCluster) status(id int) (wire.Status, error) {
	var st wire.Status
	resp, err := halHC.Get("http://" + c.node(id).addr + wire.PathStatus)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("status of node %d: %s", id, resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// waitFor polls cond every 50 ms until it holds, failing the test after
// limit with what the last poll said.
func (c *halCluster) waitFor(what string, limit time.Duration, cond func() (bool, string)) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		c.checkAlive()
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %v waiting for %s; last: %s", limit, what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkAlive fails the test when a node the test did not stop has exited:
// a crash, or a signal from outside the test.
func (c *halCluster) checkAlive() {
	c.t.Helper()
	for _, n := range c.nodes {
		if n.cur == nil {
			continue
		}
		select {
		case <-n.cur.exited:
			c.t.Fatalf("node %d exited, and not by the test: %v", n.id, n.cur.cmd.ProcessState)
		default:
		}
	}
}

// waitServing waits until the answering nodes agree on one serving node and
// returns its id.
func (c *halCluster) waitServing() int {
	c.t.Helper()
	var id int
	c.waitFor("a serving node the others agree on", halWait, func() (bool, string) {
		id = c.servingNow()
		return id != 0, c.views()
	})
	return id
}

// waitServedBy waits until node id serves and every running node names it
// as the primary.
func (c *halCluster) waitServedBy(id int) {
	c.t.Helper()
	c.waitFor(fmt.Sprintf("node %d to serve", id), halWait, func() (bool, string) {
		return c.servingNow() == id, c.views()
	})
}

// servingNow returns the node that serves, when exactly one answering node
// says it serves and every answering node names it as primary; else 0.
func (c *halCluster) servingNow() int {
	var sts []wire.Status
	id := 0
	for _, n := range c.nodes {
		if !n.answering() {
			continue
		}
		st, err := c.status(n.id)
		if err != nil {
			return 0
		}
		sts = append(sts, st)
		if st.Server.Serving {
			if id != 0 {
				return 0
			}
			id = n.id
		}
	}
	for _, st := range sts {
		if id == 0 || st.Server.Primary != c.node(id).addr {
			return 0
		}
	}
	return id
}

// views says what each running node thinks of the cluster, for a failure
// message.
func (c *halCluster) views() string {
	var v []string
	for _, n := range c.nodes {
		if !n.answering() {
			continue
		}
		st, err := c.status(n.id)
		if err != nil {
			v = append(v, fmt.Sprintf("#%d: %v", n.id, err))
			continue
		}
		v = append(v, fmt.Sprintf("#%d role=%s serving=%v quorum=%v primary=%q term=%d applied=%d",
			n.id, st.Server.Role, st.Server.Serving, st.Server.Quorum, st.Server.Primary, st.Server.Term, st.Server.Applied))
	}
	return strings.Join(v, "; ")
}

// waitCaughtUp waits until node id's ledger equals the serving node's:
// same applied index, same in_use, the same checkouts.
func (c *halCluster) waitCaughtUp(id, leader int) {
	c.t.Helper()
	c.waitFor(fmt.Sprintf("node %d to catch up with node %d", id, leader), halWait, func() (bool, string) {
		a, err := c.status(id)
		if err != nil {
			return false, err.Error()
		}
		b, err := c.status(leader)
		if err != nil {
			return false, err.Error()
		}
		fa, fb := featureOf(a, halFeature), featureOf(b, halFeature)
		ca, cb := checkoutIDs(a), checkoutIDs(b)
		ok := a.Server.Applied == b.Server.Applied && fa.InUse == fb.InUse && fa.Borrowed == fb.Borrowed && sameSet(ca, cb)
		return ok, fmt.Sprintf("node %d applied %d in_use %d checkouts %d; node %d applied %d in_use %d checkouts %d",
			id, a.Server.Applied, fa.InUse, len(ca), leader, b.Server.Applied, fb.InUse, len(cb))
	})
}
