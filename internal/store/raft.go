package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
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

// SnapshotTo writes a consistent copy of the database to path, which must
// not exist (VACUUM INTO). The caller keeps writes out meanwhile, so that
// the copy is the state at one raft index.
func (s *Store) SnapshotTo(path string) error {
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("snapshot %s to %s: %w", s.path, path, domainErr(err))
	}
	return nil
}

// RestoreFrom replaces every table of the ledger with its rows in the
// database file at path (a snapshot written by SnapshotTo), in one
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
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS snap`, "file:"+path+"?mode=ro"); err != nil {
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
