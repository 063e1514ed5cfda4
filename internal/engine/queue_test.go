package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

func userClient(i int, user string) wire.Client {
	c := client(i)
	c.User = user
	return c
}

// queue asks for one license of f, waiting if none is free.
func queue(t *testing.T, e *Engine, now time.Time, c wire.Client, req string) wire.CheckoutReply {
	t.Helper()
	r := e.Submit(Checkout{Now: now, Client: c, RequestID: req, CheckoutID: "co-" + req, Feature: "f", Queue: true})
	if r.Err != nil {
		t.Fatalf("checkout %s: %v", req, r.Err)
	}
	return r.Reply.(wire.CheckoutReply)
}

func holders(e *Engine) []string {
	var st wire.Status
	e.Status(testNow, &st)
	var out []string
	for _, c := range st.Checkouts {
		out = append(out, c.ID)
	}
	return out
}

// Requests queue first come first served, each told its position, and a
// checkin grants the head in the same batch: the head's repeated request
// then finds its checkout.
func TestQueueFirstComeFirstServed(t *testing.T) {
	e, _ := openEngine(t, 1)
	defer e.Close()
	if r := queue(t, e, testNow, client(0), "a"); r.Queued || r.CheckoutID != "co-a" {
		t.Fatalf("first request: %+v, want granted", r)
	}
	for i, req := range []string{"b", "c", "d"} {
		r := queue(t, e, testNow.Add(time.Duration(i+1)*time.Second), client(i+1), req)
		if !r.Queued || r.Position != i+1 || r.QueueLength != i+1 {
			t.Fatalf("request %s: %+v, want queued at %d of %d", req, r, i+1, i+1)
		}
	}
	if r := queue(t, e, testNow, client(2), "c"); !r.Queued || r.Position != 2 || r.QueueLength != 3 {
		t.Fatalf("repeated request c: %+v, want position 2 of 3", r)
	}
	// No waiting asked: refused as before, and not queued.
	r := e.Submit(Checkout{Now: testNow, Client: client(9), RequestID: "x", CheckoutID: "co-x", Feature: "f"})
	if r.Err == nil || r.Err.Code != wire.CodeCountExhausted {
		t.Fatalf("checkout without queue = %+v, want count_exhausted", r)
	}
	for _, next := range []struct{ in, out, want string }{{"co-a", "", "co-b"}, {"co-b", "", "co-c"}, {"co-c", "", "co-d"}} {
		owner := map[string]int{"co-a": 0, "co-b": 1, "co-c": 2}[next.in]
		if r := e.Submit(Checkin{Now: testNow, Client: client(owner), CheckoutID: next.in}); r.Err != nil {
			t.Fatal(r.Err)
		}
		if got := holders(e); len(got) != 1 || got[0] != next.want {
			t.Fatalf("after checkin of %s: holders %v, want [%s]", next.in, got, next.want)
		}
	}
	if r := queue(t, e, testNow, client(3), "d"); r.Queued || r.CheckoutID != "co-d" {
		t.Fatalf("repeated request d once granted: %+v, want the checkout", r)
	}
	if n := e.QueueLength("f"); n != 0 {
		t.Fatalf("queue length %d, want 0", n)
	}
}

// Refusals that no release can lift are never queued.
func TestQueueRefusesFinalRefusals(t *testing.T) {
	e, _ := openEngine(t, 1)
	defer e.Close()
	r := e.Submit(Checkout{Now: testNow, Client: client(0), RequestID: "a", CheckoutID: "a", Feature: "nope", Queue: true})
	if r.Err == nil || r.Err.Code != wire.CodeUnknownFeature {
		t.Fatalf("unknown feature with queue = %+v, want unknown_feature", r)
	}
	r = e.Submit(Checkout{Now: testNow, Client: client(0), RequestID: "b", CheckoutID: "b", Feature: "f", Version: "9.0", Queue: true})
	if r.Err == nil || r.Err.Code != wire.CodeVersionTooHigh {
		t.Fatalf("version too high with queue = %+v, want version_too_high", r)
	}
	if n := e.QueueLength("f"); n != 0 {
		t.Fatalf("queue length %d, want 0", n)
	}
}

// Every way a license frees grants the queue's head in the same batch, and
// every way a queued session ends takes it out of the queue.
func TestQueueGrantsOnEveryRelease(t *testing.T) {
	later := testNow.Add(61 * time.Minute) // the lease is an hour
	cases := []struct {
		name    string
		free    func(e *Engine) Command
		granted bool
	}{
		{"checkin", func(*Engine) Command { return Checkin{Now: testNow, Client: userClient(0, "ann"), CheckoutID: "co-a"} }, true},
		{"checkin all", func(*Engine) Command { return Checkin{Now: testNow, Client: userClient(0, "ann"), All: true} }, true},
		{"admin remove", func(*Engine) Command { return Remove{Now: testNow, CheckoutID: "co-a"} }, true},
		{"remove by user", func(*Engine) Command { return Remove{Now: testNow, User: "ann"} }, true},
		{"reload raising COUNT", func(*Engine) Command {
			return SetFeatures{Now: testNow, Features: []*Feature{{Name: "f", Version: "1.0", Count: 2, HostOK: true}}}
		}, true},
		{"reap of the holder", func(*Engine) Command {
			return Reap{Now: later, Sessions: []string{client(0).Session}}
		}, true}, // only the holder is named: the waiting one was heard from
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := openEngine(t, 1)
			defer e.Close()
			queue(t, e, testNow, userClient(0, "ann"), "a")
			queue(t, e, testNow, client(1), "b")
			if r := e.Submit(tc.free(e)); r.Err != nil {
				t.Fatal(r.Err)
			}
			got := holders(e)
			has := len(got) > 0 && got[len(got)-1] == "co-b"
			if has != tc.granted {
				t.Fatalf("holders %v: granted to b = %v, want %v", got, has, tc.granted)
			}
		})
	}
}

// A queued session that stops heartbeating leaves the queue when its lease
// ends, and the one behind it moves up; a cancel leaves it too.
func TestQueueDeadSessionLeaves(t *testing.T) {
	e, _ := openEngine(t, 1)
	defer e.Close()
	queue(t, e, testNow, client(0), "a")
	queue(t, e, testNow, client(1), "b")
	queue(t, e, testNow.Add(30*time.Minute), client(2), "c")
	queue(t, e, testNow.Add(30*time.Minute), client(3), "d")
	t1 := testNow.Add(50 * time.Minute)
	e.Submit(Heartbeat{Now: t1, Client: client(0)})
	t2 := testNow.Add(61 * time.Minute)
	due, _ := e.Due(t2)
	if len(due) != 1 || due[0] != client(1).Session {
		t.Fatalf("due at t2 = %v, want only b's session", due)
	}
	e.Submit(Reap{Now: t2, Sessions: due})
	if r := queue(t, e, t2, client(2), "c"); r.Position != 1 || r.QueueLength != 2 {
		t.Fatalf("c after b's lease ran out: %+v, want position 1 of 2", r)
	}
	if r := e.Submit(Checkin{Now: t2, Client: client(2), RequestID: "c"}); r.Err != nil || r.Reply.(wire.CheckinReply).Released != 1 {
		t.Fatalf("cancel of c = %+v", r)
	}
	if r := queue(t, e, t2, client(3), "d"); r.Position != 1 || r.QueueLength != 1 {
		t.Fatalf("d after c cancelled: %+v, want position 1 of 1", r)
	}
}

// The queue is in the store: a restart keeps its order, and grants from
// it as before.
func TestQueueSurvivesRestart(t *testing.T) {
	e, st := openEngine(t, 1)
	for i := range 3 {
		queue(t, e, testNow, client(i), fmt.Sprint("r", i))
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e, err := Open(st, []*Feature{{Name: "f", Version: "1.0", Count: 1, HostOK: true}}, Config{Lease: time.Hour}, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var status wire.Status
	e.Status(testNow, &status)
	if len(status.Queue) != 2 || status.Queue[0].Session != wire.SessionHandle(client(1).Session) || status.Queue[1].Position != 2 {
		t.Fatalf("queue after restart = %+v, want r1 then r2", status.Queue)
	}
	e.Submit(Checkin{Now: testNow, Client: client(0), All: true})
	if r := queue(t, e, testNow, client(1), "r1"); r.Queued {
		t.Fatalf("r1 after the checkin: %+v, want granted", r)
	}
	// New entries go behind the restored ones.
	if r := queue(t, e, testNow, client(5), "r5"); r.Position != 2 {
		t.Fatalf("a new request after restart: %+v, want position 2", r)
	}
}

// A remove with a hold refuses the user's checkouts, queued or not, until
// it ends; Reap forgets it then.
func TestRemoveHold(t *testing.T) {
	e, st := openEngine(t, 2)
	defer e.Close()
	ann, bob := userClient(0, "ann"), userClient(1, "bob")
	queue(t, e, testNow, ann, "a")
	queue(t, e, testNow, bob, "b")
	until := testNow.Add(time.Minute)
	r := e.Submit(Remove{Now: testNow, User: "ann", HoldID: "h1", HoldUntil: until, By: "root@adm"})
	rep := r.Reply.(wire.RemoveReply)
	if r.Err != nil || rep.Removed != 1 || len(rep.Checkouts) != 1 || rep.Checkouts[0].User != "ann" || !rep.HoldUntil.Equal(until) {
		t.Fatalf("remove = %+v", r)
	}
	// The same session asks again (its client's heartbeat found it gone).
	r = e.Submit(Checkout{Now: testNow.Add(time.Second), Client: ann, RequestID: "a", CheckoutID: "co-a2", Feature: "f", Queue: true})
	if r.Err == nil || r.Err.Code != wire.CodeRemovedHold {
		t.Fatalf("re-take while held = %+v, want removed_hold", r)
	}
	for _, want := range []string{"root@adm", until.Format(time.RFC3339)} {
		if !contains(r.Err.Message, want) {
			t.Errorf("message %q does not name %q", r.Err.Message, want)
		}
	}
	if r := queue(t, e, testNow, userClient(2, "carl"), "c"); r.Queued {
		t.Fatalf("another user: %+v, want granted", r)
	}
	// Held across a restart: the hold is in the store.
	again, err := Open(st, []*Feature{{Name: "f", Version: "1.0", Count: 2, HostOK: true}}, Config{Lease: time.Hour}, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, others := again.Due(until); !others {
		t.Error("Due at the hold's end does not report it")
	}
	e.Submit(Checkin{Now: testNow, Client: userClient(2, "carl"), All: true})
	if r := e.Submit(Checkout{Now: until, Client: ann, RequestID: "a3", CheckoutID: "co-a3", Feature: "f"}); r.Err != nil {
		t.Fatalf("checkout when the hold ended = %v", r.Err)
	}
	e.Submit(Reap{Now: until})
	if len(e.qs.holds) != 0 {
		t.Fatalf("holds after Reap at their end: %v", e.qs.holds)
	}
}

// A revoked borrow's seat returns to the pool and goes to the queue.
func TestRemoveBorrowGrantsQueue(t *testing.T) {
	e, _ := openEngine(t, 1)
	defer e.Close()
	e.setFeatures([]*Feature{{Name: "f", Version: "1.0", Count: 1, HostOK: true, BorrowHours: 24}})
	if r := e.Submit(Borrow{Now: testNow, Client: client(0), RequestID: "b", BorrowID: "bo1", Feature: "f", Hours: 2, Allowed: true}); r.Err != nil {
		t.Fatal(r.Err)
	}
	queue(t, e, testNow, client(1), "q")
	r := e.Submit(Remove{Now: testNow, BorrowID: "bo1", By: "root@adm"})
	if r.Err != nil || r.Reply.(wire.RemoveReply).Borrow == nil {
		t.Fatalf("revoke = %+v", r)
	}
	if got := holders(e); len(got) != 1 || got[0] != "co-q" {
		t.Fatalf("holders %v, want the queued request", got)
	}
	if r := e.Submit(Remove{Now: testNow, BorrowID: "bo1"}); r.Err == nil || r.Err.Code != wire.CodeUnknownBorrow {
		t.Fatalf("revoke again = %+v, want unknown_borrow", r)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// Replicated, every node queues, grants from the queue and holds alike:
// the queue and the holds travel in the commands, not in the serving
// node's memory.
func TestReplicasAgreeOnQueue(t *testing.T) {
	r := openReplicas(t, 3, 1)
	lead := r.engines[0]
	at := func(s int) time.Time { return testNow.Add(time.Duration(s) * time.Second) }
	for i := range 3 {
		id := fmt.Sprintf("q%d", i)
		lead.Submit(Checkout{Now: at(i), Client: userClient(i, fmt.Sprint("user", i)), RequestID: id, CheckoutID: id, Feature: "f", Queue: true})
	}
	lead.Submit(Remove{Now: at(10), User: "user0", HoldID: "h", HoldUntil: at(70), By: "root@adm"})
	lead.Submit(Checkin{Now: at(11), Client: userClient(2, "user2"), RequestID: "q2"})
	want := ledger(lead) + queueLedger(lead)
	if !contains(want, "checkout q1 ") || !contains(want, "hold h user0") {
		t.Fatalf("serving node: q1 not granted from the queue, or no hold:\n%s", want)
	}
	for i, e := range r.engines[1:] {
		if got := ledger(e) + queueLedger(e); got != want {
			t.Errorf("node %d:\n%s\nserving node:\n%s", i+1, got, want)
		}
	}
}

func queueLedger(e *Engine) string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := ""
	for _, f := range e.queuedFeatures() {
		for _, q := range e.qs.queues[f] {
			s += fmt.Sprintf("queued %d %s %s\n", q.Seq, q.Feature, q.RequestID)
		}
	}
	for id, h := range e.qs.holds {
		s += fmt.Sprintf("hold %s %s %s\n", id, h.User, h.Until.Format(time.RFC3339))
	}
	return s
}

// The remove and queue events say who removed, and where a request waits.
func TestQueueAndRemoveEvents(t *testing.T) {
	_, st := openEngine(t, 1)
	var evs []wire.Event
	e, err := Open(st, []*Feature{{Name: "f", Version: "1.0", Count: 1, HostOK: true}}, Config{Lease: time.Hour}, testNow,
		func(b []wire.Event) { evs = append(evs, b...) })
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	queue(t, e, testNow, userClient(0, "ann"), "a")
	queue(t, e, testNow, userClient(1, "bob"), "b")
	e.Submit(Remove{Now: testNow.Add(time.Minute), User: "ann", By: "root@adm"})
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Kind+" "+ev.User+" "+ev.Detail)
	}
	want := []string{"grant ann ", "queue bob position 1 of 1", "remove ann by root@adm", "grant bob from the queue, waited 1m0s"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events:\n%q\nwant\n%q", got, want)
	}
}

// A client that gives up after its request was granted, unknown to it,
// checks in the checkout by request id.
func TestCancelGrantedRequest(t *testing.T) {
	e, _ := openEngine(t, 1)
	defer e.Close()
	queue(t, e, testNow, client(0), "a")
	queue(t, e, testNow, client(1), "b")
	e.Submit(Checkin{Now: testNow, Client: client(0), CheckoutID: "co-a"}) // b is granted
	r := e.Submit(Checkin{Now: testNow, Client: client(1), RequestID: "b"})
	if r.Err != nil || r.Reply.(wire.CheckinReply).Released != 1 {
		t.Fatalf("cancel of a granted request = %+v", r)
	}
	if in, _ := e.InUse("f"); in != 0 {
		t.Fatalf("in use %d, want 0", in)
	}
}

func TestHoldMessage(t *testing.T) {
	until := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		user, host, by, want string
	}{
		{"ann", "ws1", "root@adm", "the licenses of f of ann@ws1 were removed by root@adm, who holds them off it until 2026-12-06T05:00:00Z"},
		{"ann", "", "root@adm", "the licenses of f of ann were removed by root@adm, who holds them off it until 2026-12-06T05:00:00Z"},
		{"", "ws1", "", "the licenses of f on host ws1 were removed by an admin, who holds them off it until 2026-12-06T05:00:00Z"},
		{"", "", "root@adm", "the licenses of f were removed by root@adm, who holds them off it until 2026-12-06T05:00:00Z"},
	} {
		h := &store.Hold{User: tc.user, Host: tc.host, Feature: "f", By: tc.by, Until: until}
		if got := holdMessage(h, "f"); got != tc.want {
			t.Errorf("hold on %q@%q:\n got %s\nwant %s", tc.user, tc.host, got, tc.want)
		}
	}
}
