package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/store/storetest"
	"github.com/floatlic/floatlic/internal/wire"
)

// commitOne commits one session; it returns the commit's error.
func commitOne(s *Store, id string) error {
	tx, err := s.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tx.InsertSession(Session{ID: id, User: "ann", Host: "ws1"})
	return tx.Commit()
}

// A database file removed or replaced under the store fails the next commit
// with ErrReplaced, and every one after: what it wrote would be lost.
func TestRemovedOrReplacedFileFailsCommits(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		do         func(path string) error
	}{
		{"db removed", "licd.db was removed", func(p string) error { return os.Remove(p) }},
		{"wal removed", "licd.db-wal was removed", func(p string) error { return os.Remove(p + "-wal") }},
		{"db replaced", "licd.db was replaced", func(p string) error {
			os.WriteFile(p+".new", nil, 0o600)
			return os.Rename(p+".new", p)
		}},
	} {
		for _, sync := range []string{SyncFull, SyncNormal} {
			t.Run(tc.name+"/"+sync, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "licd.db")
				s, err := Open(path, Options{Sync: sync})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if err := commitOne(s, "s1"); err != nil || s.Check() != nil {
					t.Fatalf("before: %v, %v", err, s.Check())
				}
				if err := tc.do(path); err != nil {
					t.Fatal(err)
				}
				for i := range 2 {
					err := commitOne(s, fmt.Sprint("s", i+2))
					if !errors.Is(err, ErrReplaced) || !strings.Contains(err.Error(), tc.want) {
						t.Fatalf("commit %d: %v, want ErrReplaced saying %q", i, err, tc.want)
					}
				}
				if !errors.Is(s.Err(), ErrReplaced) {
					t.Fatalf("Err() = %v, want ErrReplaced", s.Err())
				}
			})
		}
	}
}

// A database with a damaged page is refused at open, with what to do.
func TestOpenRefusesADamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licd.db")
	s := open(t, path)
	now := time.Now()
	for i := range 200 {
		tx, _ := s.Begin()
		tx.InsertEvents([]wire.Event{{Seq: int64(i + 1), Time: now, Kind: wire.EventGrant,
			Detail: strings.Repeat("x", 200)}})
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	storetest.DamagePage(t, path, 5)
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open a damaged file: %v, want ErrCorrupt", err)
	}
	for _, want := range []string{path, "quick_check", "backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}
