package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"

	"modernc.org/sqlite"
)

// The tables a HAL snapshot carries: the whole ledger, the audit trail, the
// clock mark and the raft position. schema_migrations is not copied: a
// snapshot is only taken in by a node of the same schema (see RestoreFrom).
var snapshotTables = []string{"sessions", "checkouts", "borrows", "graces", "event_batches", "clock", "raft_state"}

// SetApplied records the raft index of the entry this transaction applies.
func (t *Tx) SetApplied(index uint64) {
	t.exec("setApplied", int64(index))
}

// SetFeatures records the served features as a replicated reload set them.
func (t *Tx) SetFeatures(features string) {
	t.exec("setFeatures", features)
}

// RaftState returns the raft index last applied to the database and the
// features last replicated (0 and "" on a database no raft entry has
// touched).
func (s *Store) RaftState() (applied uint64, features string, err error) {
	var n int64
	err = s.db.QueryRowContext(ctx, `SELECT applied, features FROM raft_state WHERE id = 1`).Scan(&n, &features)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("read raft state from %s: %w", s.path, domainErr(err))
	}
	return uint64(n), features, nil
}

// RestoreFrom replaces every table of the ledger with its rows in the
// database file at path (a snapshot copied from a ReadView), in one
// transaction: a failure leaves the database as it was. The snapshot must
// come from the same schema version.
func (s *Store) RestoreFrom(path string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("restore %s from snapshot %s: %w", s.path, path, err)
		}
	}()
	if _, err := os.Stat(path); err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return domainErr(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS snap`, "file:"+uriPath.Replace(path)+"?mode=ro"); err != nil {
		return domainErr(err)
	}
	defer conn.ExecContext(ctx, `DETACH DATABASE snap`)
	var ours, theirs int
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT max(version) FROM main.schema_migrations),
		(SELECT max(version) FROM snap.schema_migrations)`).Scan(&ours, &theirs); err != nil {
		return domainErr(err)
	}
	if ours != theirs {
		return fmt.Errorf("the snapshot has schema version %d, this licd %d: run the same licd version on every node", theirs, ours)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return domainErr(err)
	}
	defer tx.Rollback()
	for _, table := range snapshotTables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM main.`+table); err != nil {
			return fmt.Errorf("clear %s: %w", table, domainErr(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO main.`+table+` SELECT * FROM snap.`+table); err != nil {
			return fmt.Errorf("copy %s: %w", table, domainErr(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return domainErr(err)
	}
	if s.wal != nil {
		if err := s.wal.sync(); err != nil {
			return err
		}
	}
	return s.Check()
}

// ReadView is the database as it was when OpenReadView returned, kept on a
// read connection of its own while writes go on (WAL): a HAL snapshot is
// taken at one raft index, then copied without holding up later entries.
type ReadView struct {
	conn *sql.Conn
	path string
}

// OpenReadView pins the database as it is now. Close it when done.
func (s *Store) OpenReadView() (*ReadView, error) {
	conn, err := s.ro.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("read view of %s: %w", s.path, domainErr(err))
	}
	// A read transaction sees the database as of its first read.
	var n int
	if _, err = conn.ExecContext(ctx, `BEGIN`); err == nil {
		err = conn.QueryRowContext(ctx, `SELECT count(*) FROM raft_state`).Scan(&n)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("read view of %s: %w", s.path, domainErr(err))
	}
	return &ReadView{conn: conn, path: s.path}, nil
}

// CopyTo writes the pinned database to a new file at path (SQLite's online
// backup, from the view's read transaction).
func (v *ReadView) CopyTo(path string) error {
	err := v.conn.Raw(func(dc any) error {
		b, ok := dc.(interface {
			NewBackup(string) (*sqlite.Backup, error)
		})
		if !ok {
			return fmt.Errorf("the SQLite driver has no online backup")
		}
		bk, err := b.NewBackup(path)
		if err != nil {
			return err
		}
		if _, err := bk.Step(-1); err != nil {
			bk.Finish()
			return err
		}
		dst, err := bk.Commit()
		if err != nil {
			return err
		}
		defer dst.Close()
		// A copy in WAL mode would leave -wal and -shm files wherever it
		// is opened; the copy is a file to send, so rollback mode.
		ex, ok := dst.(driver.ExecerContext)
		if !ok {
			return fmt.Errorf("the SQLite driver cannot run a statement on the copy")
		}
		_, err = ex.ExecContext(ctx, `PRAGMA journal_mode = DELETE`, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", v.path, path, domainErr(err))
	}
	return nil
}

// Close ends the view.
func (v *ReadView) Close() error {
	v.conn.ExecContext(ctx, `ROLLBACK`)
	return v.conn.Close()
}
