package e2e

// Helpers of the HAL tests that look at the ledger and act as clients:
// status samples, client processes of the licenses package, raw requests.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// checkoutIDs counts the cad_hal checkouts of a status by id.
func checkoutIDs(st wire.Status) map[string]int {
	ids := map[string]int{}
	for _, co := range st.Checkouts {
		if co.Feature == halFeature {
			ids[co.ID]++
		}
	}
	return ids
}

// sameSet reports whether two counts are equal.
func sameSet(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// sampler polls every running node's status until stopped, and records
// every time a node showed more than COUNT in use, or served with a
// ledger that check refuses.
type sampler struct {
	mu       sync.Mutex
	problems []string
	samples  int
	maxInUse [3]int
	served   [3]bool
	stop     chan struct{}
	done     chan struct{}
}

// sample starts a sampler; check, when not nil, is asked about every
// sample of a serving node and returns what is wrong with it, or "".
func (c *halCluster) sample(check func(id int, st wire.Status) string) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			for i := range c.nodes {
				st, err := c.status(i + 1) // a node that is down answers nothing: skip it
				if err == nil {
					s.record(i+1, st, check)
				}
			}
			select {
			case <-s.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	c.t.Cleanup(s.end)
	return s
}

func (s *sampler) record(id int, st wire.Status, check func(int, wire.Status) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples++
	f := featureOf(st, halFeature)
	s.maxInUse[id-1] = max(s.maxInUse[id-1], f.InUse+f.Borrowed)
	if f.InUse+f.Borrowed > halCount {
		s.problems = append(s.problems, fmt.Sprintf("node %d: %d in use and %d borrowed, COUNT is %d", id, f.InUse, f.Borrowed, halCount))
	}
	if st.Server.Serving {
		s.served[id-1] = true
		if check != nil {
			if p := check(id, st); p != "" {
				s.problems = append(s.problems, fmt.Sprintf("node %d serving: %s", id, p))
			}
		}
	}
}

// end stops the sampler and waits for it; a second end does nothing.
func (s *sampler) end() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

// report stops the sampler and fails t with what it saw wrong.
func (s *sampler) report(t *testing.T) {
	t.Helper()
	s.end()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.samples == 0 {
		t.Error("the sampler took no status sample")
	}
	for _, p := range s.problems[:min(len(s.problems), 20)] {
		t.Error(p)
	}
	t.Logf("%d status samples; most in use seen on nodes 1, 2, 3: %v", s.samples, s.maxInUse)
}

// clientLog records what a client reported to the application on its own
// goroutines (OnExit, OnLost), to be checked at the end of the test.
type clientLog struct {
	mu     sync.Mutex
	events []string
}

func (l *clientLog) add(format string, args ...any) {
	l.mu.Lock()
	l.events = append(l.events, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *clientLog) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		t.Error(e)
	}
}

// failoverAttempts is the heartbeat attempts of the tests' clients: at
// their interval, about 3 s of failed heartbeats to the old serving node
// before they try the others, time enough for an election under -race on
// a busy machine. (A client with the default options tries for 10 min.)
const failoverAttempts = 15

// client is one client process of the vendor's application: the licenses
// package with automatic heartbeats every 200 ms, the cluster's three
// servers in role order (or servers when given). What it reports on its
// own goroutines goes to log.
func (c *halCluster) client(name string, log *clientLog, attempts int, servers ...string) *licenses.Client {
	c.t.Helper()
	if len(servers) == 0 {
		servers = c.addrs()
	}
	cl, err := licenses.New(licenses.Options{
		Servers: servers, User: name, Host: "ws-" + name, StateDir: c.t.TempDir(),
		AutoHeartbeat: true, HeartbeatInterval: 200 * time.Millisecond, HeartbeatAttempts: attempts,
		RequestTimeout: 2 * time.Second,
		OnExit:         func(err error) { log.add("client %s gave up: %v", name, err) },
		OnLost:         func(f string, err error) { log.add("client %s lost %s: %v", name, f, err) },
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return cl
}

// closeClients closes clients at once, bounded in time.
func closeClients(clients []*licenses.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); cl.Close(ctx) }()
	}
	wg.Wait()
}

// checkoutAll has each client check out one cad_hal license.
func checkoutAll(t *testing.T, clients []*licenses.Client) []*licenses.License {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), halWait)
	defer cancel()
	lics := make([]*licenses.License, len(clients))
	for i, cl := range clients {
		l, err := cl.Checkout(ctx, halFeature, "")
		if err != nil {
			t.Fatalf("client %d checkout: %v", i, err)
		}
		lics[i] = l
	}
	return lics
}

// rawCheckout checks out one license for a new session straight at addr,
// with no failover: the reply, or the refusal.
func rawCheckout(addr, req string) (wire.CheckoutReply, *wire.Error, error) {
	var r wire.CheckoutReply
	werr, err := call(addr, wire.PathCheckout, wire.CheckoutRequest{Client: session(), RequestID: req, Feature: halFeature}, &r)
	return r, werr, err
}

func mustStatus(t *testing.T, c *halCluster, id int) wire.Status {
	t.Helper()
	st, err := c.status(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitHeldFrom waits until every license's heartbeats go to node id.
func (c *halCluster) waitHeldFrom(lics []*licenses.License, id int) {
	c.t.Helper()
	addr := c.node(id).addr
	c.waitFor(fmt.Sprintf("every client to heartbeat node %d", id), halWait, func() (bool, string) {
		n := 0
		for _, l := range lics {
			if l.Server() == addr {
				n++
			}
		}
		return n == len(lics), fmt.Sprintf("%d of %d licenses held from %s", n, len(lics), addr)
	})
}

// checkSeats checks, from the clients' side and on the serving node id,
// that every license is held exactly once: each client still has its first
// checkout, a heartbeat succeeds, and the node holds exactly those.
func (c *halCluster) checkSeats(t *testing.T, id int, clients []*licenses.Client, lics []*licenses.License, ids map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), halWait)
	defer cancel()
	for i, l := range lics {
		select {
		case <-l.Lost():
			t.Errorf("client %s lost its license: %v", clients[i].User(), l.Err())
			continue
		default:
		}
		if _, ok := ids[l.CheckoutID()]; !ok {
			t.Errorf("client %s holds checkout %s, not its first one", clients[i].User(), l.CheckoutID())
		}
		if err := clients[i].Heartbeat(ctx); err != nil {
			t.Errorf("client %s heartbeat: %v", clients[i].User(), err)
		}
	}
	st := mustStatus(t, c, id)
	if f := featureOf(st, halFeature); f.InUse != halCount {
		t.Errorf("node %d: %d in use, want %d", id, f.InUse, halCount)
	}
	held := checkoutIDs(st)
	sessions := map[string]int{}
	for _, co := range st.Checkouts {
		sessions[co.Session]++
	}
	for cid, who := range ids {
		if held[cid] != 1 {
			t.Errorf("node %d holds %s's checkout %s %d times, want once", id, who, cid, held[cid])
		}
	}
	for _, cl := range clients {
		if n := sessions[wire.SessionHandle(cl.Session())]; n != 1 {
			t.Errorf("node %d holds %d checkouts for client %s, want 1", id, n, cl.User())
		}
	}
}

// serveWindow checks out and in at addr, one pair after the other, for
// window: every one must be granted at once.
func serveWindow(t *testing.T, addr string, window time.Duration) {
	t.Helper()
	s := session()
	start := time.Now()
	for i := 0; time.Since(start) < window; i++ {
		r, werr, err := rawCheckoutAs(addr, s, fmt.Sprintf("w%d", i))
		if err == nil && werr == nil {
			var ci wire.CheckinReply
			werr, err = call(addr, wire.PathCheckin, wire.CheckinRequest{Client: s, CheckoutID: r.CheckoutID}, &ci)
		}
		if err != nil || werr != nil {
			t.Errorf("%v after it started serving, %s refused: %v %v", time.Since(start).Round(time.Millisecond), addr, werr, err)
			return
		}
	}
}

// checkSnapshotInstalled checks that node id's last run caught up from
// the leader's snapshot: raft v1.7.2 logs "Installed remote snapshot".
func (c *halCluster) checkSnapshotInstalled(t *testing.T, id int) {
	t.Helper()
	if !strings.Contains(strings.ToLower(c.log(id)), "installed remote snapshot") {
		t.Errorf("node %d caught up without installing a snapshot", id)
	}
}

// churn does n checkout and checkin pairs straight at addr, each its own
// raft entry.
func churn(t *testing.T, addr string, n int) {
	t.Helper()
	s := session()
	for i := range n {
		r, werr, err := rawCheckoutAs(addr, s, fmt.Sprintf("c%d", i))
		if err != nil || werr != nil {
			t.Fatalf("churn checkout %d: %v %v", i, werr, err)
		}
		var ci wire.CheckinReply
		if werr, err := call(addr, wire.PathCheckin, wire.CheckinRequest{Client: s, CheckoutID: r.CheckoutID}, &ci); err != nil || werr != nil {
			t.Fatalf("churn checkin %d: %v %v", i, werr, err)
		}
	}
}

// rawCheckoutAs sends one checkout for session s straight to addr, with no
// failover: the reply, or the refusal.
func rawCheckoutAs(addr string, s wire.Client, req string) (wire.CheckoutReply, *wire.Error, error) {
	var r wire.CheckoutReply
	werr, err := call(addr, wire.PathCheckout, wire.CheckoutRequest{Client: s, RequestID: req, Feature: halFeature}, &r)
	return r, werr, err
}

// wipeKeepingTokenKey empties a data dir but for the token key pair.
func wipeKeepingTokenKey(t *testing.T, dir string) {
	t.Helper()
	prefix := token.KeyPrefix(dir)
	keep := map[string][]byte{}
	for _, f := range []string{prefix + ".key", prefix + ".pub"} {
		if b, err := os.ReadFile(f); err == nil {
			keep[f] = b
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for f, b := range keep {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
