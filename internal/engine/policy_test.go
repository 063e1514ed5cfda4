package engine

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/policy"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// ruled is an engine serving f (COUNT count, borrowable) and g (COUNT 5)
// under the options file text, and the events it recorded.
type ruled struct {
	t      *testing.T
	e      *Engine
	mu     sync.Mutex
	events []wire.Event
	n      int
}

func openRuled(t *testing.T, count int, text string) *ruled {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "licd.db"), store.Options{Sync: store.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &ruled{t: t}
	fs := []*Feature{{Name: "f", Version: "1.0", Count: count, HostOK: true, BorrowHours: 24},
		{Name: "g", Version: "1.0", Count: 5, HostOK: true}}
	r.e, err = Open(st, fs, Config{Lease: time.Hour}, testNow, func(evs []wire.Event) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, evs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.e.Close() })
	r.e.UsePolicy(parsePolicy(t, text))
	return r
}

func parsePolicy(t *testing.T, text string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("site.opt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// who is a client: one session per user@host.
func who(userHost string) wire.Client {
	user, host, _ := strings.Cut(userHost, "@")
	return wire.Client{Session: "s-" + user + "-" + host, User: user, Host: host}
}

// checkout asks for n licenses of feature for userHost at testNow.
func (r *ruled) checkout(userHost, feature string, n int) Result {
	r.n++
	id := fmt.Sprintf("c%03d", r.n)
	return r.e.Submit(Checkout{Now: testNow, Client: who(userHost), RequestID: id, CheckoutID: id, Feature: feature, Count: n})
}

func (r *ruled) borrow(userHost string) Result {
	r.n++
	id := fmt.Sprintf("b%03d", r.n)
	return r.e.Submit(Borrow{Now: testNow, Client: who(userHost), RequestID: id, BorrowID: id, Feature: "f", Hours: 1, Allowed: true})
}

// step is one request and what it must get: "" granted, else the code
// and a part of the message.
type step struct {
	op, who string
	n       int
	code    string
	msg     string
}

func (r *ruled) run(steps []step) {
	r.t.Helper()
	for i, s := range steps {
		var res Result
		switch s.op {
		case "checkout":
			res = r.checkout(s.who, "f", s.n)
		case "borrow":
			res = r.borrow(s.who)
		case "checkin":
			res = r.e.Submit(Checkin{Now: testNow, Client: who(s.who), All: true})
		}
		switch {
		case s.code == "" && res.Err != nil:
			r.t.Fatalf("step %d (%s %s %d): refused: %v", i, s.op, s.who, s.n, res.Err)
		case s.code != "" && res.Err == nil:
			r.t.Fatalf("step %d (%s %s %d): granted, want %s", i, s.op, s.who, s.n, s.code)
		case s.code != "" && (res.Err.Code != s.code || !strings.Contains(res.Err.Message, s.msg)):
			r.t.Fatalf("step %d (%s %s %d): %v\nwant %s: ...%s...", i, s.op, s.who, s.n, res.Err, s.code, s.msg)
		}
	}
}

func TestPolicyRules(t *testing.T) {
	tests := []struct {
		name  string
		count int
		opts  string
		steps []step
	}{
		{"no rules", 2, "MAX 1 g USER ann", []step{
			{"checkout", "ann@ws1", 2, "", ""},
		}},
		{"EXCLUDE wins over INCLUDE", 9, "GROUP g ann bob\nINCLUDE f GROUP g\nEXCLUDE f USER bob", []step{
			{"checkout", "ann@ws1", 1, "", ""},
			{"checkout", "bob@ws1", 1, wire.CodeExcluded, "EXCLUDE f USER bob (site.opt:3): bob may not use f"},
			{"checkout", "carol@ws1", 1, wire.CodeExcluded, "INCLUDE f GROUP g (site.opt:2): f is only for those its INCLUDE lines name, and carol@ws1 is not one of them"},
			{"borrow", "bob@ws1", 0, wire.CodeExcluded, "EXCLUDE f USER bob"},
		}},
		{"INCLUDE by host group", 9, "HOST_GROUP lab ws1 ws2\nINCLUDE f HOST_GROUP lab", []step{
			{"checkout", "ann@ws2", 1, "", ""},
			{"checkout", "ann@ws3", 1, wire.CodeExcluded, "INCLUDE f HOST_GROUP lab (site.opt:2)"},
		}},
		{"MAX per user", 9, "MAX 2 f USER ann", []step{
			{"checkout", "ann@ws1", 2, "", ""},
			{"checkout", "ann@ws2", 1, wire.CodeMaxReached, "MAX 2 f USER ann (site.opt:1): ann holds 2, 1 more asked for"},
			{"checkout", "bob@ws1", 3, "", ""},
			{"checkin", "ann@ws1", 0, "", ""},
			{"checkout", "ann@ws2", 3, wire.CodeMaxReached, "ann holds 0, 3 more asked for"},
			{"checkout", "ann@ws2", 2, "", ""},
		}},
		{"MAX per host", 9, "MAX 1 f HOST ws1", []step{
			{"checkout", "ann@ws1", 1, "", ""},
			{"checkout", "bob@ws1", 1, wire.CodeMaxReached, "MAX 1 f HOST ws1 (site.opt:1): ws1 holds 1"},
		}},
		{"MAX per group counts its members together", 9, "GROUP design ann bob\nMAX 3 f GROUP design", []step{
			{"checkout", "ann@ws1", 2, "", ""},
			{"checkout", "bob@ws2", 1, "", ""},
			{"checkout", "bob@ws2", 1, wire.CodeMaxReached, "MAX 3 f GROUP design (site.opt:2): GROUP design holds 3, 1 more asked for"},
			{"checkout", "carol@ws2", 1, "", ""},
		}},
		{"MAX counts borrows", 9, "MAX 1 f USER ann", []step{
			{"borrow", "ann@ws1", 0, "", ""},
			{"checkout", "ann@ws1", 1, wire.CodeMaxReached, "ann holds 1"},
			{"borrow", "ann@ws1", 0, wire.CodeMaxReached, "ann holds 1"},
		}},
		{"RESERVE keeps licenses for a user", 4, "RESERVE 2 f USER ann", []step{
			{"checkout", "bob@ws1", 2, "", ""},
			{"checkout", "bob@ws1", 1, wire.CodeReserved, "RESERVE 2 f USER ann (site.opt:1): 2 of the 2 free licenses of f are reserved for others, 1 asked for"},
			{"borrow", "bob@ws1", 0, wire.CodeReserved, "RESERVE 2 f USER ann"},
			{"checkout", "ann@ws9", 2, "", ""},
			{"checkout", "ann@ws9", 1, wire.CodeCountExhausted, "all 4 licenses of f are in use"},
		}},
		{"a reservation in use frees nothing for others", 3, "RESERVE 1 f HOST ws1", []step{
			{"checkout", "ann@ws1", 1, "", ""}, // takes the reserved one
			{"checkout", "bob@ws2", 2, "", ""},
			{"checkout", "carol@ws1", 1, wire.CodeCountExhausted, ""},
		}},
		{"RESERVE and MAX together", 5, "GROUP g ann bob\nRESERVE 2 f GROUP g\nMAX 1 f USER ann", []step{
			{"checkout", "ann@ws1", 1, "", ""},
			{"checkout", "ann@ws1", 1, wire.CodeMaxReached, "MAX 1 f USER ann (site.opt:3)"}, // one of g's reserved left, but not for ann
			{"checkout", "carol@ws1", 4, wire.CodeReserved, "1 of the 4 free licenses of f are reserved for others"},
			{"checkout", "carol@ws1", 3, "", ""},
			{"checkout", "bob@ws1", 1, "", ""},
			{"checkout", "bob@ws1", 1, wire.CodeCountExhausted, ""},
		}},
		{"a holder counts against the narrower reservation", 4, "GROUP g ann bob\nRESERVE 1 f GROUP g\nRESERVE 1 f USER ann", []step{
			{"checkout", "ann@ws1", 1, "", ""}, // USER ann's, so g keeps one for bob
			{"checkout", "carol@ws1", 3, wire.CodeReserved, "RESERVE 1 f GROUP g (site.opt:2): 1 of the 3 free"},
			{"checkout", "carol@ws1", 2, "", ""},
			{"checkout", "bob@ws1", 1, "", ""},
		}},
		{"EXCLUDE_BORROW", 9, "EXCLUDE_BORROW f HOST kiosk", []step{
			{"borrow", "ann@kiosk", 0, wire.CodeExcluded, "EXCLUDE_BORROW f HOST kiosk (site.opt:1): host kiosk may not borrow f"},
			{"checkout", "ann@kiosk", 1, "", ""},
			{"borrow", "ann@ws1", 0, "", ""},
		}},
		{"INCLUDE_BORROW", 9, "INCLUDE_BORROW f USER ann", []step{
			{"borrow", "ann@ws1", 0, "", ""},
			{"borrow", "bob@ws1", 0, wire.CodeExcluded, "INCLUDE_BORROW f USER ann (site.opt:1): f may be borrowed only by those its INCLUDE_BORROW lines name, and bob@ws1 is not one of them"},
			{"checkout", "bob@ws1", 1, "", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			openRuled(t, tt.count, tt.opts).run(tt.steps)
		})
	}
}

// A refusal by a rule is recorded as a denial with its code and message.
func TestPolicyDenialEvent(t *testing.T) {
	r := openRuled(t, 2, "EXCLUDE f USER bob")
	r.run([]step{{"checkout", "bob@ws1", 1, wire.CodeExcluded, "EXCLUDE"}})
	r.mu.Lock()
	defer r.mu.Unlock()
	last := r.events[len(r.events)-1]
	if last.Kind != wire.EventDeny || last.Code != wire.CodeExcluded || !strings.Contains(last.Detail, "(site.opt:1)") {
		t.Fatalf("event %+v, want a deny with code excluded naming the rule", last)
	}
}

// A TIMEOUT reclaims a feature's checkouts from a session not heard from
// for that long, sooner than its lease, and leaves its other features.
func TestPolicyTimeout(t *testing.T) {
	r := openRuled(t, 5, "TIMEOUT f 600")
	r.run([]step{{"checkout", "ann@ws1", 1, "", ""}})
	if res := r.checkout("ann@ws1", "g", 1); res.Err != nil {
		t.Fatal(res.Err)
	}
	at := func(d time.Duration) time.Time { return testNow.Add(d) }
	if ids := r.e.Idle(at(599 * time.Second)); len(ids) != 0 {
		t.Fatalf("idle after 599 s: %v", ids)
	}
	r.e.Submit(Heartbeat{Now: at(5 * time.Minute), Client: who("ann@ws1")})
	if ids := r.e.Idle(at(10 * time.Minute)); len(ids) != 0 {
		t.Fatalf("idle 5 min after a heartbeat: %v", ids)
	}
	ids := r.e.Idle(at(15 * time.Minute))
	if !slices.Equal(ids, []string{"c001"}) {
		t.Fatalf("idle 10 min after a heartbeat: %v, want [c001] (g has no TIMEOUT)", ids)
	}
	// Heard from between Idle and the Reap: kept.
	r.e.Submit(Heartbeat{Now: at(15 * time.Minute), Client: who("ann@ws1")})
	r.e.Submit(Reap{Now: at(15 * time.Minute), Checkouts: ids})
	if in, _ := r.e.InUse("f"); in != 1 {
		t.Fatalf("in use %d after a Reap of a session heard from, want 1", in)
	}
	r.e.Submit(Reap{Now: at(25 * time.Minute), Checkouts: r.e.Idle(at(25 * time.Minute))})
	if f, g := inUse(r.e, "f"), inUse(r.e, "g"); f != 0 || g != 1 {
		t.Fatalf("in use f %d, g %d after the timeout; want 0, 1", f, g)
	}
	r.mu.Lock()
	last := r.events[len(r.events)-1]
	r.mu.Unlock()
	if last.Kind != wire.EventTimeout || last.Checkout != "c001" || !strings.HasPrefix(last.Detail, "TIMEOUT f 600 (site.opt:1): idle since ") {
		t.Fatalf("event %+v, want a timeout naming the rule", last)
	}
	if r.e.Sessions() != 1 {
		t.Fatalf("%d sessions, want ann's kept (its lease runs on)", r.e.Sessions())
	}
}

func inUse(e *Engine, feature string) int {
	n, _ := e.InUse(feature)
	return n
}

// A reload that leaves more held than COUNT, or than COUNT less the
// reservations not in use, says so; the licenses stay held, and none is
// granted until fewer are held.
func TestPolicyReloadOvercommitted(t *testing.T) {
	r := openRuled(t, 4, "")
	r.run([]step{{"checkout", "ann@ws1", 3, "", ""}})
	fs := func(count int) []*Feature {
		return []*Feature{{Name: "f", Version: "1.0", Count: count, HostOK: true}, {Name: "g", Version: "1.0", Count: 5, HostOK: true}}
	}
	res := r.e.Submit(SetFeatures{Now: testNow, Features: fs(4), Policy: parsePolicy(t, "RESERVE 2 f USER bob")})
	got := res.Reply.(SetFeaturesReply).Overcommitted
	if len(got) != 1 || !strings.HasPrefix(got[0], "f: 3 in use and 0 borrowed, and 2 reserved not in use, over its COUNT of 4") {
		t.Fatalf("overcommitted %q", got)
	}
	r.run([]step{
		{"checkout", "ann@ws1", 1, wire.CodeReserved, "RESERVE 2 f USER bob (site.opt:1)"},
		{"checkout", "bob@ws1", 1, "", ""},
	})
	res = r.e.Submit(SetFeatures{Now: testNow, Features: fs(2)})
	got = res.Reply.(SetFeaturesReply).Overcommitted
	if len(got) != 1 || !strings.HasPrefix(got[0], "f: 4 in use and 0 borrowed, over its COUNT of 2") {
		t.Fatalf("overcommitted %q", got)
	}
	if in := inUse(r.e, "f"); in != 4 {
		t.Fatalf("in use %d after lowering COUNT, want 4 kept", in)
	}
	r.run([]step{
		{"checkout", "bob@ws1", 1, wire.CodeCountExhausted, ""},
		{"checkin", "ann@ws1", 0, "", ""},
		{"checkout", "bob@ws1", 1, "", ""},
	})
	var st wire.Status
	r.e.Status(testNow, &st)
	if st.Policy != nil {
		t.Fatalf("status shows policy %+v after a reload without one", st.Policy)
	}
}

// Replicated, the policy comes with the features: every node refuses alike,
// and a reopened node still has it.
func TestPolicyReplicates(t *testing.T) {
	rs := openReplicas(t, 2, 3)
	lead := rs.engines[0]
	fs := []*Feature{{Name: "f", Version: "1.0", Count: 3, HostOK: true, BorrowHours: 24}}
	lead.Submit(SetFeatures{Now: testNow, Features: fs, Policy: parsePolicy(t, "GROUP g a\nRESERVE 2 f GROUP g")})
	for i := range 3 {
		id := fmt.Sprintf("c%d", i)
		lead.Submit(Checkout{Now: testNow, Client: client(i), RequestID: id, CheckoutID: id, Feature: "f"})
	}
	if in := inUse(rs.engines[1], "f"); in != 1 {
		t.Fatalf("follower has %d in use, want 1 (two reserved for g)", in)
	}
	var st wire.Status
	rs.engines[1].Status(testNow, &st)
	if st.Policy == nil || st.Policy.Rules != 2 {
		t.Fatalf("follower's status policy %+v, want 2 rules", st.Policy)
	}
	path := rs.stores[1].Path()
	rs.engines[1].Close()
	rs.stores[1].Close()
	_, again := openReplica(t, path, 3)
	if p := again.rules().Policy(); p == nil || len(p.Rules) != 1 {
		t.Fatalf("reopened node's policy %+v, want the replicated one", p)
	}
}

// A restart starts every session's idle time afresh: the heartbeat time it
// finds may be minutes old (written in bulk), and a live client keeps its
// licenses.
func TestPolicyTimeoutAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licd.db")
	open := func(now time.Time) *Engine {
		st, err := store.Open(path, store.Options{Sync: store.SyncNormal})
		if err != nil {
			t.Fatal(err)
		}
		e, err := Open(st, []*Feature{{Name: "f", Version: "1.0", Count: 2, HostOK: true}}, Config{Lease: time.Hour}, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.UsePolicy(parsePolicy(t, "TIMEOUT f 600"))
		t.Cleanup(func() { e.Close(); st.Close() })
		return e
	}
	e := open(testNow)
	e.Submit(Checkout{Now: testNow, Client: who("ann@ws1"), RequestID: "r", CheckoutID: "c1", Feature: "f"})
	e.Close()
	later := testNow.Add(20 * time.Minute)
	e = open(later)
	if ids := e.Idle(later.Add(9 * time.Minute)); len(ids) != 0 {
		t.Fatalf("idle 9 minutes after a restart: %v", ids)
	}
	if ids := e.Idle(later.Add(10 * time.Minute)); !slices.Equal(ids, []string{"c1"}) {
		t.Fatalf("idle 10 minutes after a restart: %v, want [c1]", ids)
	}
}

func TestPolicyNamesTheCaller(t *testing.T) {
	r := openRuled(t, 9, "GROUP g ann\nHOST_GROUP lab ws1\nEXCLUDE f GROUP g\nEXCLUDE f HOST_GROUP lab\nEXCLUDE_BORROW f HOST ws2")
	r.run([]step{
		{"checkout", "ann@ws9", 1, wire.CodeExcluded, "EXCLUDE f GROUP g (site.opt:3): ann, of GROUP g, may not use f"},
		{"checkout", "bob@ws1", 1, wire.CodeExcluded, "EXCLUDE f HOST_GROUP lab (site.opt:4): host ws1, of HOST_GROUP lab, may not use f"},
		{"borrow", "bob@ws2", 0, wire.CodeExcluded, "EXCLUDE_BORROW f HOST ws2 (site.opt:5): host ws2 may not borrow f"},
	})
}
