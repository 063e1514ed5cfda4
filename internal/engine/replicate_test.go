package engine

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/policy"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// replicas are engines that apply the same log, in order: the serving one
// (index 0) proposes, every one applies. The real log is raft (package
// hal, tested end to end with licd processes); this one is an ordered list,
// enough to check that the engine's apply is deterministic.
type replicas struct {
	t       *testing.T
	mu      sync.Mutex
	engines []*Engine
	stores  []*store.Store
	entries [][]byte
}

func openReplicas(t *testing.T, n, count int) *replicas {
	t.Helper()
	r := &replicas{t: t}
	dir := t.TempDir()
	for i := range n {
		st, e := openReplica(t, filepath.Join(dir, fmt.Sprintf("node%d.db", i)), count)
		r.stores = append(r.stores, st)
		r.engines = append(r.engines, e)
	}
	r.engines[0].SetLog(r)
	return r
}

func openReplica(t *testing.T, path string, count int) (*store.Store, *Engine) {
	t.Helper()
	st, err := store.Open(path, store.Options{Sync: store.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e, err := Open(st, []*Feature{{Name: "f", Version: "1.0", Count: count, HostOK: true, BorrowHours: 24}},
		Config{Lease: time.Minute, Replicated: true}, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st, e
}

func (r *replicas) Propose(entry []byte) ([]Result, *wire.Error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, entry)
	index := uint64(len(r.entries))
	var out []Result
	for i, e := range r.engines {
		res, err := e.ApplyEntries([]Entry{{Index: index, Data: entry}})
		if err != nil {
			r.t.Errorf("node %d: %v", i, err)
			continue
		}
		if i == 0 {
			out = res[0]
		}
	}
	return out, nil
}

// ledger is what must be equal on every replica.
func ledger(e *Engine) string {
	var st wire.Status
	e.Status(testNow, &st)
	s := fmt.Sprintf("applied %d seq %d newest %s\n", e.Applied(), e.seq, e.newest.Format(time.RFC3339Nano))
	for _, f := range st.Features {
		s += fmt.Sprintf("%s in use %d borrowed %d\n", f.Name, f.InUse, f.Borrowed)
	}
	for _, c := range st.Checkouts {
		s += fmt.Sprintf("checkout %s %s %s\n", c.ID, c.Session, c.Since.Format(time.RFC3339Nano))
	}
	for _, b := range st.Borrows {
		s += fmt.Sprintf("borrow %s %s\n", b.ID, b.Expires.Format(time.RFC3339Nano))
	}
	return s
}

// Every replica ends with the same ledger, whatever the serving node alone
// saw: its heartbeats renew leases only in its memory, and a Reap it
// decides on expires the same sessions everywhere.
func TestReplicasAgree(t *testing.T) {
	r := openReplicas(t, 3, 3)
	lead := r.engines[0]
	at := func(s int) time.Time { return testNow.Add(time.Duration(s) * time.Second) }
	for i := range 5 { // 3 granted, 2 refused
		id := fmt.Sprintf("c%d", i)
		lead.Submit(Checkout{Now: at(i), Client: client(i), RequestID: id, CheckoutID: id, Feature: "f"})
	}
	// Only the serving node hears client 1's heartbeats.
	lead.Submit(Heartbeat{Now: at(50), Client: client(1)})
	lead.Submit(Checkin{Now: at(61), Client: client(2), CheckoutID: "c2"})
	lead.Submit(Borrow{Now: at(62), Client: client(7), RequestID: "b", BorrowID: "b1", Feature: "f", Hours: 1, Allowed: true})
	due, _ := lead.Due(at(70))
	if len(due) != 1 || due[0] != client(0).Session {
		t.Fatalf("due at 70 s: %v, want only %s (client 1 heartbeated)", due, client(0).Session)
	}
	lead.Submit(Reap{Now: at(70), Sessions: due})
	lead.Submit(Reap{Now: at(3700)}) // the borrow expires
	want := ledger(lead)
	for i, e := range r.engines[1:] {
		if got := ledger(e); got != want {
			t.Errorf("node %d:\n%s\nserving node:\n%s", i+1, got, want)
		}
	}
	if in, _ := lead.InUse("f"); in != 1 {
		t.Errorf("in use %d, want 1 (client 1's)", in)
	}
}

// An entry handed over again (raft does after a restart) is skipped, and a
// reopened replica knows where it was and which features it was given.
func TestReplicaSkipsAppliedEntries(t *testing.T) {
	r := openReplicas(t, 2, 2)
	lead := r.engines[0]
	lead.Submit(SetFeatures{Now: testNow, Features: []*Feature{{Name: "f", Version: "1.0", Count: 1, HostOK: true}}})
	lead.Submit(Checkout{Now: testNow, Client: client(1), RequestID: "r", CheckoutID: "c1", Feature: "f"})
	follower := r.engines[1]
	if res, err := follower.ApplyEntries([]Entry{{Index: 2, Data: r.entries[1]}}); err != nil || res[0] != nil {
		t.Fatalf("entry 2 again: %v %v, want skipped", res, err)
	}
	if in, _ := follower.InUse("f"); in != 1 {
		t.Fatalf("in use %d after a repeated entry, want 1", in)
	}
	path := r.stores[1].Path()
	r.stores[1].Close()
	_, again := openReplica(t, path, 5) // its own license says 5
	if again.Applied() != 2 {
		t.Errorf("applied %d after reopening, want 2", again.Applied())
	}
	if f := again.Feature("f"); f == nil || f.Count != 1 {
		t.Errorf("feature after reopening %+v, want the replicated COUNT 1", f)
	}
}

// A replica restored from another's snapshot has its ledger and position.
func TestReplicaRestoresSnapshot(t *testing.T) {
	r := openReplicas(t, 1, 2)
	lead := r.engines[0]
	lead.Submit(Checkout{Now: testNow, Client: client(1), RequestID: "r", CheckoutID: "c1", Feature: "f"})
	snap := filepath.Join(t.TempDir(), "snap.db")
	index, view, err := lead.ReadView()
	if err != nil || index != 1 {
		t.Fatalf("snapshot at %d: %v, want index 1", index, err)
	}
	lead.Submit(Checkout{Now: testNow, Client: client(2), RequestID: "r", CheckoutID: "c2", Feature: "f"})
	err = view.CopyTo(snap)
	view.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, fresh := openReplica(t, filepath.Join(t.TempDir(), "fresh.db"), 2)
	if err := fresh.RestoreFrom(snap, testNow); err != nil {
		t.Fatal(err)
	}
	if fresh.Applied() != 1 {
		t.Errorf("restored at index %d, want 1 (when the view was taken)", fresh.Applied())
	}
	if in, _ := fresh.InUse("f"); in != 1 {
		t.Errorf("restored in use %d, want 1", in)
	}
}

// Promote gives every session a fresh lease, from whenever it was heard of.
func TestPromoteRenewsLeases(t *testing.T) {
	r := openReplicas(t, 1, 2)
	lead := r.engines[0]
	lead.Submit(Checkout{Now: testNow, Client: client(1), RequestID: "r", CheckoutID: "c1", Feature: "f"})
	later := testNow.Add(time.Hour)
	if due, _ := lead.Due(later); len(due) != 1 {
		t.Fatalf("due an hour later: %v, want the session", due)
	}
	lead.Promote(later, 10*time.Minute)
	if due, _ := lead.Due(later.Add(9 * time.Minute)); len(due) != 0 {
		t.Fatalf("due 9 min after promotion: %v, want none", due)
	}
	if due, _ := lead.Due(later.Add(10 * time.Minute)); len(due) != 1 {
		t.Fatalf("due 10 min after promotion: %v, want the session", due)
	}
}

// A raft entry that is not a batch is an error, never a panic, and every
// batch that decodes encodes back to a batch that decodes the same.
func FuzzDecodeBatch(f *testing.F) {
	seed, err := EncodeBatch([]Command{
		Checkout{Now: testNow, Client: client(1), RequestID: "r", CheckoutID: "c", Feature: "f", Count: 2},
		Reap{Now: testNow, Sessions: []string{"s1"}},
		SetFeatures{Now: testNow, Features: []*Feature{{Name: "f", Count: 3}}, Kind: wire.EventStart},
		SetFeatures{Now: testNow, Features: []*Feature{{Name: "f", Count: 3}},
			Policy: &policy.Policy{Path: "o", Rules: []policy.Rule{{Keyword: policy.Max, N: 1, Feature: "f", Kind: policy.User, Name: "a"}}}},
		Reap{Now: testNow, Checkouts: []string{"c"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`[{}]`))
	f.Add([]byte(`[{"Checkin":null}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cmds, err := decodeBatch(data)
		if err != nil {
			return
		}
		again, err := EncodeBatch(cmds)
		if err != nil {
			t.Fatalf("decoded %d commands that do not encode: %v", len(cmds), err)
		}
		back, err := decodeBatch(again)
		if err != nil || len(back) != len(cmds) {
			t.Fatalf("re-encoded batch decodes to %d commands, %v; want %d", len(back), err, len(cmds))
		}
	})
}
