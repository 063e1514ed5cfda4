package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRoundTripAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licd.db")
	s := open(t, path)
	now := time.Date(2026, 5, 1, 12, 0, 0, 123, time.UTC)
	tx, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	tx.InsertSession(Session{ID: "s1", User: "ann", Host: "ws1", PID: 7, Created: now, LastHeartbeat: now})
	tx.InsertCheckout(Checkout{ID: "c1", Session: "s1", RequestID: "r1", Feature: "cad", Version: "1.0", Count: 2, Since: now})
	tx.InsertBorrow(Borrow{ID: "b1", Session: "s1", RequestID: "r2", Feature: "cad", Version: "1.0", User: "ann", Host: "ws1", Since: now, Expires: now.Add(time.Hour)})
	tx.PutGrace(Grace{TokenID: "g1", Feature: "cad", User: "ann", Host: "ws1", Activated: now, Expires: now.Add(time.Hour), Reported: now})
	tx.InsertEvents([]wire.Event{{Seq: 1, Time: now, Kind: wire.EventGrant, Feature: "cad", User: "ann"}})
	tx.Heartbeat("s1", now.Add(time.Minute))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, path) // migrations must not run twice
	snap, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Sessions) != 1 || !snap.Sessions[0].LastHeartbeat.Equal(now.Add(time.Minute)) {
		t.Fatalf("sessions %+v", snap.Sessions)
	}
	if len(snap.Checkouts) != 1 || snap.Checkouts[0].Count != 2 || !snap.Checkouts[0].Since.Equal(now) {
		t.Fatalf("checkouts %+v", snap.Checkouts)
	}
	if len(snap.Borrows) != 1 || len(snap.Graces) != 1 || snap.LastSeq != 1 {
		t.Fatalf("snapshot %+v", snap)
	}
	evs, err := s.Events(-1, 10)
	if err != nil || len(evs) != 1 || evs[0].User != "ann" {
		t.Fatalf("events %+v %v", evs, err)
	}
}

func TestConstraintBecomesErrConflict(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "licd.db"))
	tx, _ := s.Begin()
	c := Checkout{ID: "c1", Session: "s1", RequestID: "r1", Feature: "cad", Version: "1.0", Count: 1}
	tx.InsertCheckout(c)
	tx.InsertCheckout(c)
	if err := tx.Commit(); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate checkout: %v, want ErrConflict", err)
	}
	tx, _ = s.Begin()
	c.Count = 0
	tx.InsertCheckout(c)
	if err := tx.Commit(); !errors.Is(err, ErrConflict) {
		t.Fatalf("zero count: %v, want ErrConflict", err)
	}
}

func TestPruneEvents(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "licd.db"))
	tx, _ := s.Begin()
	var evs []wire.Event
	for i := 1; i <= 100; i++ {
		evs = append(evs, wire.Event{Seq: int64(i), Kind: wire.EventGrant})
	}
	tx.InsertEvents(evs)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneEvents(3); err != nil || n != 97 {
		t.Fatalf("pruned %d, %v; want 97", n, err)
	}
	evs, _ = s.Events(-1, 100)
	if len(evs) != 3 || evs[0].Seq != 98 {
		t.Fatalf("left %+v", evs)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "junk.db")
	os.WriteFile(notDB, []byte("this is not a database, it is a text file that is long enough to have a header"), 0o600)
	if _, err := Open(notDB, Options{}); err == nil || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open a text file: %v, want ErrCorrupt", err)
	}
	if _, err := Open(filepath.Join(dir, "x.db"), Options{Sync: "sometimes"}); err == nil {
		t.Fatal("bad sync mode accepted")
	}
}

// A path is a path, whatever a URI would make of its characters: a test's
// temp dir named after a subtest "x#01" made licd look for "x" instead.
func TestOpenPathWithURICharacters(t *testing.T) {
	for _, name := range []string{"run#01", "what?", "100%", "a b"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "licd.db")
			st, err := Open(path, Options{Sync: SyncFull})
			if err != nil {
				t.Fatalf("open %s: %v", path, err)
			}
			st.Close()
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the database is not where it was asked for: %v", err)
			}
		})
	}
}
