// Package store owns floatlic's SQLite database: every SQL statement of the
// project lives here.
//
// Design: one writer connection (the engine writes through it, one batch of
// commands at a time and one transaction per batch, so concurrent
// requests share one commit) and a separate read-only pool for the audit
// trail. Pragmas go in the DSN so that every connection gets them: WAL,
// busy_timeout, foreign_keys, synchronous=NORMAL. SyncFull (survives power
// loss) has the store flush the WAL after every commit, before Commit
// returns; SyncNormal (survives process crashes) leaves the flush to
// SQLite's checkpoints. Migrations are numbered .sql files,
// embedded, each applied in a transaction and recorded in schema_migrations.
// Times are stored as unix nanoseconds.
//
// Open refuses a damaged database (PRAGMA quick_check). Every commit ends
// by checking that the database file and its WAL are still the files
// opened (a stat each, see Check): SQLite writes on into a file removed
// under it, and what it writes there is lost with the process, so from
// then on the store refuses every write.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Sentinel errors that callers match with errors.Is.
var (
	ErrDiskFull = errors.New("disk full")
	ErrReadOnly = errors.New("database is read-only")
	ErrBusy     = errors.New("database is busy")
	ErrConflict = errors.New("constraint violated")
	ErrCorrupt  = errors.New("database is corrupt")
)

// Sync modes.
const (
	SyncFull   = "full"
	SyncNormal = "normal"
)

// Options tune Open.
type Options struct {
	Sync string // SyncFull (default) or SyncNormal
}

// Store is an open floatlic database.
type Store struct {
	path  string
	db    *sql.DB // the single writer connection
	ro    *sql.DB // read-only pool
	stmts map[string]*sql.Stmt
	wal   *walSync // flushes each commit's WAL for SyncFull; nil for SyncNormal
	files []opened // the database file and its WAL, as opened (see Check)

	broken atomic.Pointer[error] // set once, by Check
}

// Open opens (creating if needed) the database at path and applies pending
// migrations.
func Open(path string, o Options) (*Store, error) {
	sync := strings.ToLower(o.Sync)
	if sync == "" {
		sync = SyncFull
	}
	if sync != SyncFull && sync != SyncNormal {
		return nil, fmt.Errorf("open store %s: sync mode %q is not full or normal", path, o.Sync)
	}
	// SQLite commits at NORMAL either way; for FULL the store flushes the
	// WAL itself after each commit (see walSync).
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	s := &Store{path: path, db: db}
	if err := s.init(); err != nil {
		db.Close()
		if errors.Is(err, ErrCorrupt) {
			return nil, fmt.Errorf("database %s is damaged: %w; %s", path, err, corruptHint)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	ro, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	ro.SetMaxOpenConns(4)
	s.ro = ro
	if sync == SyncFull {
		if s.wal, err = openWAL(path + "-wal"); err != nil {
			s.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
	}
	if err := s.noteFiles(); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// dsn is every connection's: synchronous=NORMAL whatever the sync mode, as
// the store flushes the WAL itself for SyncFull (walSync).
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(normal)")
	q.Add("_pragma", "foreign_keys(on)")
	q.Set("_txlock", "immediate")
	if readOnly {
		q.Add("_pragma", "query_only(on)")
	}
	return "file:" + uriPath.Replace(path) + "?" + q.Encode()
}

// uriPath escapes what a file: URI would read otherwise: a data dir named
// "run#2" opened run, and licd failed to find its WAL file.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

func (s *Store) init() error {
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		return domainErr(err)
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, want wal (is the data dir on a file system that supports it?)", mode)
	}
	if err := s.quickCheck(); err != nil {
		return err
	}
	if err := s.migrate(); err != nil {
		return err
	}
	return s.prepare()
}

// migrate applies every embedded migration not yet recorded.
func (s *Store) migrate() error {
	if _, err := s.db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", domainErr(err))
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", base)
		}
		if err := s.apply(n, base, name); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

func (s *Store) apply(version int, base, name string) error {
	tx, err := s.db.Begin()
	if err != nil {
		return domainErr(err)
	}
	defer tx.Rollback()
	var done int
	if err := tx.QueryRow(`SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&done); err != nil {
		return domainErr(err)
	}
	if done > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(string(body)); err != nil {
		return domainErr(err)
	}
	if _, err := tx.Exec(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, version, base); err != nil {
		return domainErr(err)
	}
	return domainErr(tx.Commit())
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range s.stmts {
		st.Close()
	}
	var err error
	if s.ro != nil {
		err = s.ro.Close()
	}
	if e := s.db.Close(); e != nil {
		err = e
	}
	if s.wal != nil {
		s.wal.close()
	}
	return err
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// domainErr turns a driver error into one of the sentinel errors, by SQLite
// result code (never by matching strings), keeping the driver's text.
func domainErr(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	var kind error
	switch se.Code() & 0xff { // primary result code
	case sqlite3.SQLITE_FULL:
		kind = ErrDiskFull
	case sqlite3.SQLITE_READONLY:
		kind = ErrReadOnly
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		kind = ErrBusy
	case sqlite3.SQLITE_CONSTRAINT:
		kind = ErrConflict
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		kind = ErrCorrupt
	default:
		return err
	}
	return fmt.Errorf("%w: %v", kind, err)
}

// ctx is used for the statements of a batch: it must never be cancelled
// half-way through a batch by a client going away.
var ctx = context.Background()

// LimitPages caps the database at n pages (0 lifts the cap), after which
// writes fail with ErrDiskFull as on a full disk. Tests use it to check that
// a full disk loses nothing; an admin could use it as a size cap.
func (s *Store) LimitPages(n int64) error {
	if n <= 0 {
		n = 4294967294
	}
	if _, err := s.db.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", n)); err != nil {
		return fmt.Errorf("limit %s to %d pages: %w", s.path, n, domainErr(err))
	}
	return nil
}

// PageCount returns the database's size in pages.
func (s *Store) PageCount() (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&n)
	return n, domainErr(err)
}
