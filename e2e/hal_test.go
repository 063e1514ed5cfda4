package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/faultnet"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// The HAL tests of issue 18: three real licd nodes (see hal_harness_test.go).

// kill -9 of #1 under 20 sessions: #2 serves the same seats, refuses
// borrow; #1 comes back, catches up and serves again.
func TestHALFailoverKeepsEverySeat(t *testing.T) {
	c := newHALCluster(t)
	c.waitServedBy(1)
	for id, want := range map[int]string{1: "1", 2: "0"} {
		name := fmt.Sprintf("floatlic_hal_serving{node=\"%d\",role=%q}", id, []string{"", "primary", "secondary"}[id])
		if got := metric(t, c.node(id).addr, name); got != want {
			t.Errorf("#%d's /metrics: %s %s, want %s", id, name, got, want)
		}
	}
	var log clientLog
	clients := make([]*licenses.Client, halCount)
	for i := range clients {
		clients[i] = c.client(fmt.Sprintf("u%02d", i), &log, failoverAttempts)
	}
	t.Cleanup(func() { closeClients(clients) })
	lics := checkoutAll(t, clients)
	ids := map[string]string{} // checkout id → client
	for i, l := range lics {
		ids[l.CheckoutID()] = clients[i].User()
	}
	if len(ids) != halCount {
		t.Fatalf("%d distinct checkout ids for %d clients", len(ids), halCount)
	}

	killed := time.Now()
	c.kill(1)
	c.waitServedBy(2)
	t.Logf("kill -9 of #1 → #2 serving in %v", time.Since(killed).Round(time.Millisecond))
	c.waitHeldFrom(lics, 2)
	c.checkSeats(t, 2, clients, lics, ids)

	var br wire.BorrowReply
	werr, err := call(c.node(2).addr, wire.PathBorrow, wire.BorrowRequest{Client: session(), RequestID: "b2", Feature: halFeature, Hours: 1}, &br)
	if err != nil || werr == nil || werr.Code != wire.CodeBorrowNotAllowed {
		t.Fatalf("borrow on #2: %v %v, want borrow_not_allowed", werr, err)
	}

	c.start(1)
	c.waitServedBy(1)
	c.waitCaughtUp(1, 2)
	c.waitHeldFrom(lics, 1)
	c.checkSeats(t, 1, clients, lics, ids)
	// A seat freed through #1, then borrowed from it.
	if err := lics[0].Checkin(context.Background()); err != nil {
		t.Fatalf("checkin on #1 back in service: %v", err)
	}
	werr, err = call(c.node(1).addr, wire.PathBorrow, wire.BorrowRequest{Client: session(), RequestID: "b1", Feature: halFeature, Hours: 1}, &br)
	if err != nil || werr != nil || br.Token == "" {
		t.Fatalf("borrow on #1 back in service: %v %v", werr, err)
	}
	if f := featureOf(mustStatus(t, c, 1), halFeature); f.InUse != halCount-1 || f.Borrowed != 1 {
		t.Errorf("on #1 after a checkin and the borrow: %d in use, %d borrowed; want %d and 1", f.InUse, f.Borrowed, halCount-1)
	}
	log.check(t)
}

// Two nodes down: the last one refuses everything with no_quorum; one back:
// service resumes with the seats the clients hold, none counted twice.
func TestHALNoQuorumRefusesThenResumes(t *testing.T) {
	c := newHALCluster(t)
	c.waitServedBy(1)
	var log clientLog
	clients := make([]*licenses.Client, 5)
	for i := range clients {
		// Clients that keep trying through the outage, as clients with
		// the default 5 attempts × 2 min would.
		clients[i] = c.client(fmt.Sprintf("q%d", i), &log, 1000)
	}
	t.Cleanup(func() { closeClients(clients) })
	lics := checkoutAll(t, clients)

	c.kill(2)
	c.kill(3)
	last := c.node(1).addr
	// A checkout sent at once, while #1 may still think it leads: it
	// cannot commit, so it must not succeed.
	early := session()
	_, answer, err := rawCheckoutAs(last, early, "early")
	if err == nil && answer == nil {
		t.Fatal("#1 granted a checkout with two nodes of three down")
	}
	t.Logf("checkout on #1 just after the kills: %v %v", answer, err)
	c.waitFor("#1 to stop serving", halWait, func() (bool, string) {
		st, err := c.status(1)
		return err == nil && !st.Server.Serving, c.views()
	})
	s := session()
	for _, tc := range []struct {
		path string
		req  any
	}{
		{wire.PathCheckout, wire.CheckoutRequest{Client: s, RequestID: "r", Feature: halFeature}},
		{wire.PathHeartbeat, wire.HeartbeatRequest{Client: s}},
		{wire.PathCheckin, wire.CheckinRequest{Client: s, All: true}},
		{wire.PathBorrow, wire.BorrowRequest{Client: s, RequestID: "b", Feature: halFeature, Hours: 1}},
	} {
		var reply map[string]any
		werr, err := call(last, tc.path, tc.req, &reply)
		if err != nil || werr == nil || werr.Code != wire.CodeNoQuorum {
			t.Errorf("%s on the last node: %v %v, want no_quorum", tc.path, werr, err)
		}
	}
	if st := mustStatus(t, c, 1); st.Server.Serving || st.Server.Quorum {
		t.Errorf("#1 alone says serving=%v quorum=%v", st.Server.Serving, st.Server.Quorum)
	}

	c.start(2)
	id := c.waitServing()
	c.waitHeldFrom(lics, id)
	extra, err := clients[0].Checkout(context.Background(), halFeature, "")
	if err != nil {
		t.Fatalf("checkout after the quorum came back: %v", err)
	}
	want := map[string]int{extra.CheckoutID(): 1}
	for _, l := range lics {
		want[l.CheckoutID()]++
	}
	st := mustStatus(t, c, id)
	got := checkoutIDs(st)
	// A request refused with no_quorum must not hold a seat now: a seat no
	// client knows it holds. The early one, if it got no answer, may.
	refused := map[string]string{wire.SessionHandle(s.Session): "after #1 stopped serving"}
	maybe := map[string]bool{}
	if answer != nil && answer.Code == wire.CodeNoQuorum {
		refused[wire.SessionHandle(early.Session)] = "just after the kills"
	} else {
		maybe[wire.SessionHandle(early.Session)] = true
	}
	others := 0 // seats held for the test's own requests
	for _, co := range st.Checkouts {
		if when, ok := refused[co.Session]; ok {
			t.Errorf("a checkout #1 refused with no_quorum %s was granted when the quorum came back: checkout %s", when, co.ID)
		}
		if refused[co.Session] != "" || maybe[co.Session] {
			delete(got, co.ID)
			others++
		}
	}
	if !sameSet(got, want) {
		t.Errorf("node %d holds checkouts %v, the clients hold %v", id, got, want)
	}
	if f := featureOf(st, halFeature); f.InUse != len(want)+others {
		t.Errorf("node %d: %d in use, the clients hold %d", id, f.InUse, len(want))
	}
	log.check(t)
}

// The serving node cut off from the two others by its raft links: it
// grants nothing from then on, the others elect and serve, and after the
// heal the old one follows; never more than COUNT in use on any node.
func TestHALPartitionedPrimaryGrantsNothing(t *testing.T) {
	c := newHALCluster(t)
	// #1 serving, as in steady state: cut off, it is alive and thinks
	// itself the primary, the case RLM's failover gets wrong.
	old := 1
	c.waitServedBy(old)
	var log clientLog
	first := make([]*licenses.Client, 10)
	for i := range first {
		first[i] = c.client(fmt.Sprintf("p%d", i), &log, failoverAttempts)
	}
	t.Cleanup(func() { closeClients(first) })
	lics := checkoutAll(t, first)
	s := c.sample(nil)

	c.isolate(old, faultnet.Blackhole)
	cut := time.Now()
	// Sent after the cut, straight to the old node: it cannot commit, so
	// it must fail (at once, or when it gives up).
	if _, werr, err := rawCheckout(c.node(old).addr, "cut-1"); err == nil && werr == nil {
		t.Fatalf("the cut-off node %d granted a checkout", old)
	}
	others := []int{}
	for _, n := range c.nodes {
		if n.id != old {
			others = append(others, n.id)
		}
	}
	var now int
	c.waitFor("the two others to elect and serve", halWait, func() (bool, string) {
		for _, id := range others {
			st, err := c.status(id)
			if err == nil && st.Server.Serving {
				now = id
				return true, ""
			}
		}
		return false, c.views()
	})
	t.Logf("node %d cut off → node %d serving in %v", old, now, time.Since(cut).Round(time.Millisecond))
	for i := range 3 {
		if _, werr, err := rawCheckout(c.node(old).addr, fmt.Sprintf("cut-%d", i+2)); err == nil && werr == nil {
			t.Fatalf("the cut-off node %d granted a checkout while %d serves", old, now)
		}
	}

	// The majority side serves without a break while the old node stays
	// cut off: a checkout and a checkin at a time, for a few raft
	// timeouts, each granted.
	serveWindow(t, c.node(now).addr, 4*time.Second)

	// The majority side grants the rest of COUNT, and no more.
	second := make([]*licenses.Client, halCount-len(first)+3)
	granted, refused := 0, 0
	for i := range second {
		second[i] = c.client(fmt.Sprintf("m%d", i), &log, failoverAttempts, c.node(now).addr)
		ctx, cancel := context.WithTimeout(context.Background(), halWait)
		l, err := second[i].Checkout(ctx, halFeature, "")
		cancel()
		switch {
		case err == nil:
			granted++
			lics = append(lics, l)
		case licenses.IsCode(err, licenses.CodeCountExhausted):
			refused++
		default:
			t.Fatalf("checkout on node %d: %v", now, err)
		}
	}
	t.Cleanup(func() { closeClients(second) })
	if granted != halCount-len(first) || refused != 3 {
		t.Errorf("the majority granted %d and refused %d; want %d and 3", granted, refused, halCount-len(first))
	}

	c.isolate(old, faultnet.Pass)
	leader := c.waitServing()
	for _, n := range c.nodes {
		if n.id != leader {
			c.waitCaughtUp(n.id, leader)
		}
	}
	c.waitHeldFrom(lics, leader)
	s.report(t)
	want := map[string]int{}
	for _, l := range lics {
		want[l.CheckoutID()]++
	}
	for _, n := range c.nodes {
		if got := checkoutIDs(mustStatus(t, c, n.id)); !sameSet(got, want) {
			t.Errorf("node %d holds %d checkouts, the clients hold %d", n.id, len(got), len(want))
		}
	}
	log.check(t)
}

// The serving node frozen (SIGSTOP, as in a long pause) while a request
// waits on it: the others take over; thawed, it grants nothing stale and
// follows. Every grant a client was told of is in the final ledger, and the
// ledger holds nothing no client asked for.
func TestHALPausedPrimaryFollowsWhenThawed(t *testing.T) {
	c := newHALCluster(t)
	c.waitServedBy(1)
	var log clientLog
	holders := make([]*licenses.Client, 3)
	for i := range holders {
		holders[i] = c.client(fmt.Sprintf("z%d", i), &log, failoverAttempts)
	}
	t.Cleanup(func() { closeClients(holders) })
	lics := checkoutAll(t, holders)
	s := c.sample(nil)

	c.pause(1)
	// A checkout sent to the frozen node waits in its socket's backlog.
	frozen := session()
	type result struct {
		r    wire.CheckoutReply
		werr *wire.Error
		err  error
	}
	late := make(chan result, 1)
	go func() {
		r, werr, err := rawCheckoutAs(c.node(1).addr, frozen, "late")
		late <- result{r, werr, err}
	}()
	c.waitServedBy(2)
	more := c.client("z-more", &log, failoverAttempts)
	t.Cleanup(func() { closeClients([]*licenses.Client{more}) })
	// It must be granted at the first try, once #2 serves; if not, the
	// test goes on trying, to tell how long the refusals lasted.
	var l *licenses.License
	var refusal error
	start := time.Now()
	c.waitFor("a checkout while #1 is frozen", halWait, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		if l, err = more.Checkout(ctx, halFeature, ""); err != nil && refusal == nil {
			refusal = err
		}
		return err == nil, fmt.Sprint(err)
	})
	if refusal != nil {
		t.Errorf("checkout while #1 is frozen and #2 serves: %v; granted %v later", refusal, time.Since(start).Round(time.Millisecond))
	}
	lics = append(lics, l)

	c.resume(1)
	res := <-late // bounded by the HTTP client's timeout
	leader := c.waitServing()
	for _, n := range c.nodes {
		if n.id != leader {
			c.waitCaughtUp(n.id, leader)
		}
	}
	c.waitHeldFrom(lics, leader)
	s.report(t)
	// What the ledger holds beyond the clients' licenses can only be the
	// request sent to the frozen node: granted and told, or (its reply
	// lost) committed without the client knowing.
	st := mustStatus(t, c, leader)
	got := checkoutIDs(st)
	for _, l := range lics {
		if got[l.CheckoutID()] != 1 {
			t.Errorf("checkout %s of a client is held %d times", l.CheckoutID(), got[l.CheckoutID()])
		}
	}
	if res.err == nil && res.werr == nil && got[res.r.CheckoutID] != 1 {
		t.Errorf("the frozen node granted %s, which no node holds", res.r.CheckoutID)
	}
	t.Logf("the request sent to the frozen node: %+v %v %v", res.r, res.werr, res.err)
	if f := featureOf(st, halFeature); f.InUse > len(lics)+1 {
		t.Errorf("%d in use, the clients hold %d and asked the frozen node for 1", f.InUse, len(lics))
	}
	for _, co := range st.Checkouts {
		if _, mine := got[co.ID]; mine && co.Session == wire.SessionHandle(frozen.Session) {
			delete(got, co.ID)
		}
	}
	for _, l := range lics {
		delete(got, l.CheckoutID())
	}
	if len(got) > 0 {
		t.Errorf("the ledger holds checkouts no client asked for: %v", got)
	}
	log.check(t)
}

// A follower that was down while the others moved on catches up from a
// snapshot; one whose data dir was lost catches up from nothing and never
// serves an empty ledger.
func TestHALCatchUpBySnapshot(t *testing.T) {
	c := newHALCluster(t, "--raft-snapshot-entries", "16", "--raft-snapshot-interval", "200ms")
	c.waitServedBy(1)
	var log clientLog
	holders := make([]*licenses.Client, 5)
	for i := range holders {
		holders[i] = c.client(fmt.Sprintf("s%d", i), &log, failoverAttempts)
	}
	t.Cleanup(func() { closeClients(holders) })
	lics := checkoutAll(t, holders)

	c.kill(3)
	churn(t, c.node(1).addr, 60)
	// Let the leader take a snapshot and drop the log #3 would need.
	c.waitFor("a snapshot on #1", halWait, func() (bool, string) {
		return strings.Contains(c.log(1), "snapshot complete"), "no snapshot in #1's log"
	})
	c.start(3)
	c.waitCaughtUp(3, 1)
	c.checkSnapshotInstalled(t, 3)

	// Lose #2's data dir (its token key restored, as the license names it):
	// it starts empty, must catch up, and must never serve from empty.
	c.kill(2)
	wipeKeepingTokenKey(t, c.node(2).data)
	churn(t, c.node(1).addr, 30)
	s := c.sample(func(id int, st wire.Status) string {
		if f := featureOf(st, halFeature); f.InUse != len(lics) {
			return fmt.Sprintf("%d in use, the clients hold %d", f.InUse, len(lics))
		}
		return ""
	})
	c.start(2)
	c.waitCaughtUp(2, 1)
	c.checkSnapshotInstalled(t, 2)
	s.report(t)
	if s.served[1] {
		t.Errorf("#2 served while #1 was up")
	}
	log.check(t)
}

// Each refusal of a HAL setup: exit 2 and one line naming the problem.
func TestHALRefusesBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	c := &halCluster{t: t, dir: dir}
	addrs, release := reserveAddrs(t, 6)
	release() // the nodes refuse to start: nothing listens on them
	servers, raft := addrs[:3], addrs[3:]
	for i := range c.nodes {
		c.nodes[i] = &halNode{id: i + 1, addr: servers[i], raftAddr: raft[i], data: filepath.Join(dir, fmt.Sprintf("node%d", i+1))}
	}
	c.writeLicense() // hal.lic: cad_hal on servers
	lic := func(name, text string) string {
		f := filepath.Join(dir, name+".lic")
		c.sign(f, text)
		return f
	}
	plain := lic("plain", "FEATURE cad_plain {\n  VENDOR = acme\n  VERSION = 1.0\n  COUNT = 3\n  EXPIRE = permanent\n}\n")
	otherServers := []string{servers[0], servers[1], "127.0.0.1:1"}
	differ := lic("differ", halTemplate("cad_a", servers, nil)+halTemplate("cad_b", otherServers, nil))
	mixed := lic("mixed", halTemplate("cad_a", servers, nil)+"FEATURE cad_plain {\n  VENDOR = acme\n  VERSION = 1.0\n  COUNT = 3\n  EXPIRE = permanent\n}\n")
	peers := strings.Join(raft, ",")

	tests := []struct {
		name string
		lic  string
		args []string
		want string
	}{
		{"HAL license without --hal-id", c.license, []string{"--listen", servers[0], "--raft-listen", raft[0], "--raft-peers", peers}, "feature cad_hal has HAL_SERVERS: it is served by three licd nodes"},
		{"--hal-id without HAL license", plain, []string{"--listen", servers[0], "--hal-id", "1", "--raft-listen", raft[0], "--raft-peers", peers}, "--hal-id 1 given, but no feature of the licenses has HAL_SERVERS"},
		{"HAL_SERVERS differ", differ, []string{"--listen", servers[0], "--hal-id", "1", "--raft-listen", raft[0], "--raft-peers", peers}, "one HAL set serves one list"},
		{"HAL and non-HAL features", mixed, []string{"--listen", servers[0], "--hal-id", "1", "--raft-listen", raft[0], "--raft-peers", peers}, "feature cad_plain has no HAL_SERVERS"},
		{"--listen port not the node's", c.license, []string{"--listen", servers[1], "--hal-id", "1", "--raft-listen", raft[0], "--raft-peers", peers}, "HAL node #1's address in HAL_SERVERS (license " + c.license + ":1) is " + servers[0]},
		{"two peers", c.license, []string{"--listen", servers[0], "--hal-id", "1", "--raft-listen", raft[0], "--raft-peers", raft[0] + "," + raft[1]}, "want the raft addresses of nodes #1, #2, #3"},
		{"peers not distinct", c.license, []string{"--listen", servers[0], "--hal-id", "1", "--raft-listen", raft[0], "--raft-peers", raft[0] + "," + raft[1] + "," + raft[1]}, raft[1] + " is named twice"},
		{"no --raft-listen", c.license, []string{"--listen", servers[0], "--hal-id", "1", "--raft-peers", peers}, "--raft-listen is missing"},
		{"--hal-id 4", c.license, []string{"--listen", servers[0], "--hal-id", "4", "--raft-listen", raft[0], "--raft-peers", peers}, "--hal-id 4: want 1, 2 or 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--license", tt.lic, "--vendor-pub", filepath.Join(dir, "vendor.pub"),
				"--data", filepath.Join(dir, "data-"+strings.ReplaceAll(tt.name, " ", "-"))}, tt.args...)
			_, stderr, code := run(t, "licd", args...)
			line := strings.TrimSpace(stderr)
			if code != 2 || strings.Count(line, "\n") > 0 || !strings.Contains(line, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and one line naming %q", code, stderr, tt.want)
			}
			t.Logf("%s", line)
		})
	}
}

// The nodes take each other's tokens: a borrow made on #1 is returned
// through #2 once #1 is gone, and a grace period activated from a token #1
// issued is reported to #2.
func TestHALTokensVerifyOnEveryNode(t *testing.T) {
	c := newHALCluster(t)
	c.waitServedBy(1)
	borrower, user := session(), session()
	var br wire.BorrowReply
	if werr, err := call(c.node(1).addr, wire.PathBorrow, wire.BorrowRequest{Client: borrower, RequestID: "b1", Feature: halFeature, Hours: 1}, &br); werr != nil || err != nil {
		t.Fatalf("borrow on #1: %v %v", werr, err)
	}
	var co wire.CheckoutReply
	if werr, err := call(c.node(1).addr, wire.PathCheckout, wire.CheckoutRequest{Client: user, RequestID: "c1", Feature: halFeature}, &co); werr != nil || err != nil || co.GraceToken == "" {
		t.Fatalf("checkout on #1: %v %v, grace token %q", werr, err, co.GraceToken)
	}
	pub, err := token.DecodeKey(tokenKeyOf(t, c.node(1).data))
	if err != nil {
		t.Fatal(err)
	}
	grace, err := token.Verify(pub, co.GraceToken)
	if err != nil {
		t.Fatalf("#1's grace token: %v", err)
	}

	c.kill(1)
	c.waitServedBy(2)
	var rr wire.ReturnReply
	if werr, err := call(c.node(2).addr, wire.PathReturn, wire.ReturnRequest{Client: borrower, BorrowID: br.BorrowID, Token: br.Token}, &rr); werr != nil || err != nil || !rr.Returned {
		t.Fatalf("return of #1's borrow through #2: %v %v, returned %v", werr, err, rr.Returned)
	}
	activated := time.Now().UTC()
	report := wire.GraceReport{Client: user, Token: co.GraceToken, TokenID: grace.ID, Feature: halFeature,
		Activated: activated, Expires: activated.Add(time.Hour)}
	if werr, err := call(c.node(2).addr, wire.PathGrace, report, &wire.GraceReply{}); werr != nil || err != nil {
		t.Fatalf("grace report of #1's token to #2: %v %v", werr, err)
	}
	st := mustStatus(t, c, 2)
	if f := featureOf(st, halFeature); f.Borrowed != 0 || f.Grace != 1 {
		t.Errorf("on #2: %d borrowed, %d on grace; want 0 and 1", f.Borrowed, f.Grace)
	}
}
