package store

import (
	"os"
	"path/filepath"
	"testing"
)

// The syncer follows the log when SQLite removes it and makes a new one,
// and syncs the database when there is no log.
func TestWALSyncerFollowsTheLog(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	for _, p := range []string{db, db + "-wal"} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w := &walSyncer{path: db}
	defer w.close()
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	first := w.f
	if err := os.Remove(db + "-wal"); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(); err != nil {
		t.Fatalf("no log: %v", err)
	}
	if err := os.WriteFile(db+"-wal", []byte("y"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(db + "-wal")
	cur, err := w.f.Stat()
	if err != nil || !os.SameFile(st, cur) || w.f == first {
		t.Fatalf("syncer kept the removed log open")
	}
}

// A group-syncing store commits without an fsync of its own and SyncWAL
// makes the commit durable; a plain store's SyncWAL does nothing.
func TestGroupSyncStore(t *testing.T) {
	for _, o := range []Options{{Sync: SyncFull, GroupSync: true}, {Sync: SyncFull}, {Sync: SyncNormal, GroupSync: true}} {
		s, err := Open(filepath.Join(t.TempDir(), "licd.db"), o)
		if err != nil {
			t.Fatal(err)
		}
		want := o.GroupSync && o.Sync == SyncFull
		if s.GroupSync() != want {
			t.Errorf("%+v: GroupSync() = %v, want %v", o, s.GroupSync(), want)
		}
		tx, err := s.Begin()
		if err != nil {
			t.Fatal(err)
		}
		tx.InsertSession(Session{ID: "s1", User: "u", Host: "h"})
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := s.SyncWAL(); err != nil {
			t.Errorf("%+v: SyncWAL: %v", o, err)
		}
		s.Close()
	}
}
