package store

import (
	"path/filepath"
	"strings"
	"testing"
)

// Under SyncFull the store flushes the WAL itself; SQLite runs at NORMAL.
func TestSyncModes(t *testing.T) {
	for _, c := range []struct {
		sync    string
		flushes bool
	}{{SyncFull, true}, {"", true}, {SyncNormal, false}} {
		s, err := Open(filepath.Join(t.TempDir(), "licd.db"), Options{Sync: c.sync})
		if err != nil {
			t.Fatal(err)
		}
		var level int
		if err := s.db.QueryRow("PRAGMA synchronous").Scan(&level); err != nil || level != 1 {
			t.Errorf("sync %q: synchronous = %d (%v), want 1 (NORMAL)", c.sync, level, err)
		}
		if (s.wal != nil) != c.flushes {
			t.Errorf("sync %q: store flushes the WAL: %v, want %v", c.sync, s.wal != nil, c.flushes)
		}
		tx, _ := s.Begin()
		tx.InsertSession(Session{ID: "s1", User: "ann", Host: "ws1"})
		if err := tx.Commit(); err != nil {
			t.Errorf("sync %q: commit: %v", c.sync, err)
		}
		s.Close()
	}
}

// A flush that fails fails Commit with an error naming the WAL. SQLite has
// the transaction by then, so what Load returns has it: the engine refuses
// the batch and reloads, and a retry with the same request id finds it.
func TestCommitReportsAFailedFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licd.db")
	s := open(t, path)
	s.wal.f.Close() // the flush now meets a closed file
	tx, _ := s.Begin()
	tx.InsertSession(Session{ID: "s1", User: "ann", Host: "ws1"})
	err := tx.Commit()
	if err == nil || !strings.Contains(err.Error(), path+"-wal") {
		t.Fatalf("commit with a failing flush: %v, want an error naming the WAL", err)
	}
	snap, err := s.Load()
	if err != nil || len(snap.Sessions) != 1 {
		t.Fatalf("after the failed flush: %+v, %v", snap, err)
	}
}
