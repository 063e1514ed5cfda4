package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// The store's own health: is the database sound when opened, and is it still
// the file it opened. SQLite keeps writing to the files it has open whatever
// happens to their names, so a database removed while licd runs (rm licd.db)
// takes every later commit with it when the process ends; and a damaged page
// can let a database open and then fail every commit.

// ErrReplaced is the error of every commit once the database file, or its
// WAL, is no longer the file the store opened.
var ErrReplaced = errors.New("the database file was removed or replaced")

// opened is a file the store opened, as it was then.
type opened struct {
	path string
	fi   os.FileInfo
}

// noteFiles records the database file and its WAL as they are now, just
// after SQLite opened them.
func (s *Store) noteFiles() error {
	for _, p := range []string{s.path, s.path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		s.files = append(s.files, opened{path: p, fi: fi})
	}
	return nil
}

// Check reports whether the database file and its WAL are still at their
// paths, the files the store opened: one stat(2) each, cheap enough for
// every commit. Once they are not, the store is broken for good: Begin and
// Commit fail with ErrReplaced, and so does Err.
func (s *Store) Check() error {
	if err := s.Err(); err != nil {
		return err
	}
	for _, f := range s.files {
		fi, err := os.Stat(f.path)
		if err == nil && os.SameFile(fi, f.fi) {
			continue
		}
		what := "replaced by another file"
		if errors.Is(err, fs.ErrNotExist) {
			what = "removed"
		} else if err != nil {
			return fmt.Errorf("check %s: %w", f.path, err) // cannot tell: refuse this commit only
		}
		broken := fmt.Errorf("%w: %s was %s while licd was running, so nothing more can be recorded: restart licd (put the file back first if it was moved by mistake)",
			ErrReplaced, f.path, what)
		s.broken.CompareAndSwap(nil, &broken)
		return s.Err()
	}
	return nil
}

// Err returns why the store can record nothing more (ErrReplaced), or nil.
func (s *Store) Err() error {
	if p := s.broken.Load(); p != nil {
		return *p
	}
	return nil
}

// quickCheck runs SQLite's quick_check (the b-trees and their pages, not
// the indexes' contents): a damaged page found now refuses the start, where
// it would otherwise fail commits later.
func (s *Store) quickCheck() error {
	var found []string
	err := s.query(s.db, "PRAGMA quick_check(5)", func(r *sql.Rows) error {
		var line string
		if err := r.Scan(&line); err != nil {
			return err
		}
		found = append(found, strings.Join(strings.Fields(line), " "))
		return nil
	})
	if err != nil {
		return fmt.Errorf("quick_check: %w", err)
	}
	if len(found) == 1 && found[0] == "ok" {
		return nil
	}
	return fmt.Errorf("%w: SQLite's quick_check found: %s", ErrCorrupt, strings.Join(found, "; "))
}

// corruptHint is what to do with a database that is damaged.
const corruptHint = "licd cannot serve from it: move it aside (with its -wal and -shm files) or restore it from a backup, then start licd again"

// Cause is err without the statement it happened in: two failures with
// the same cause are the same failure, for a log that says each once.
func Cause(err error) string {
	var oe *opError
	if errors.As(err, &oe) {
		return oe.err.Error()
	}
	return err.Error()
}

// opError is a failure of one statement of a transaction, or of its commit.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }
