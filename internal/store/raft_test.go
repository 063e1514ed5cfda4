package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSnapshotRestore copies one database's ledger and raft position into
// another through a snapshot file, replacing what the other held.
func TestSnapshotRestore(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	src := open(t, filepath.Join(dir, "a.db"))
	tx, err := src.Begin()
	if err != nil {
		t.Fatal(err)
	}
	tx.InsertSession(Session{ID: "s1", User: "ann", Host: "ws1", Created: now, LastHeartbeat: now})
	tx.InsertCheckout(Checkout{ID: "c1", Session: "s1", RequestID: "r1", Feature: "cad", Version: "1.0", Count: 1, Since: now})
	tx.SetApplied(42)
	tx.SetFeatures(`[{"Name":"cad"}]`)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "snap.db")
	view, err := src.OpenReadView()
	if err != nil {
		t.Fatal(err)
	}
	if err := view.CopyTo(snap); err != nil {
		t.Fatal(err)
	}
	view.Close()

	dst := open(t, filepath.Join(dir, "b.db"))
	tx, err = dst.Begin()
	if err != nil {
		t.Fatal(err)
	}
	tx.InsertSession(Session{ID: "old", User: "bob", Host: "ws2", Created: now, LastHeartbeat: now})
	tx.SetApplied(7)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := dst.RestoreFrom(snap); err != nil {
		t.Fatal(err)
	}
	got, err := dst.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sessions) != 1 || got.Sessions[0].ID != "s1" || len(got.Checkouts) != 1 {
		t.Fatalf("restored %+v, want session s1 with one checkout and nothing else", got)
	}
	applied, features, err := dst.RaftState()
	if err != nil || applied != 42 || features != `[{"Name":"cad"}]` {
		t.Fatalf("raft state %d %q %v, want 42 and the features", applied, features, err)
	}
	if err := dst.RestoreFrom(filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("restore from a missing file succeeded")
	}
}

// A read view copies the database as it was when opened, whatever was
// written since.
func TestReadViewIsPinned(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s := open(t, filepath.Join(dir, "a.db"))
	write := func(id string, applied uint64) {
		t.Helper()
		tx, err := s.Begin()
		if err != nil {
			t.Fatal(err)
		}
		tx.InsertSession(Session{ID: id, User: "ann", Host: "ws1", Created: now, LastHeartbeat: now})
		tx.SetApplied(applied)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	write("s1", 1)
	view, err := s.OpenReadView()
	if err != nil {
		t.Fatal(err)
	}
	write("s2", 2)
	copyPath := filepath.Join(dir, "copy.db")
	if err := view.CopyTo(copyPath); err != nil {
		t.Fatal(err)
	}
	view.Close()
	c := open(t, copyPath)
	got, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	applied, _, _ := c.RaftState()
	if len(got.Sessions) != 1 || applied != 1 {
		t.Fatalf("copy has %d sessions at index %d, want 1 at 1 (as when the view opened)", len(got.Sessions), applied)
	}
}

// A read view's copy restores, and leaves no -wal or -shm file behind.
func TestRestoreFromReadViewCopy(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	src := open(t, filepath.Join(dir, "a.db"))
	tx, err := src.Begin()
	if err != nil {
		t.Fatal(err)
	}
	tx.InsertSession(Session{ID: "s1", User: "ann", Host: "ws1", Created: now, LastHeartbeat: now})
	tx.SetApplied(5)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	view, err := src.OpenReadView()
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "snap.db")
	if err := view.CopyTo(snap); err != nil {
		t.Fatal(err)
	}
	view.Close()
	dst := open(t, filepath.Join(dir, "b.db"))
	if err := dst.RestoreFrom(snap); err != nil {
		t.Fatal(err)
	}
	if applied, _, _ := dst.RaftState(); applied != 5 {
		t.Fatalf("applied %d after restore, want 5", applied)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(snap + suffix); err == nil {
			t.Errorf("restoring left %s behind", filepath.Base(snap+suffix))
		}
	}
}
