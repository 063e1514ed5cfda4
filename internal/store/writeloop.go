package store

import (
	"context"
	"fmt"
	"time"
)

// WriteLoopStats are what WriteLoop did.
type WriteLoopStats struct {
	Commits int
	Pairs   int
	Elapsed time.Duration
}

// WriteLoop measures the storage limit: on a new database at path, opened
// with licd's DSN, pragmas and schema, it commits write transactions back to
// back for d (or until ctx ends). Each transaction holds batch checkout+checkin
// pairs as plain one-row statements, each pair an INSERT and a DELETE of a
// checkout and two event INSERTs; observe, if set, gets each transaction's
// time from BEGIN to the end of COMMIT. It is the raw floor under what the
// server's engine does per batch, without the server.
func WriteLoop(ctx context.Context, path string, o Options, batch int, d time.Duration, observe func(time.Duration)) (WriteLoopStats, error) {
	var st WriteLoopStats
	if batch < 1 {
		return st, fmt.Errorf("write loop: batch %d must be at least 1", batch)
	}
	s, err := Open(path, o)
	if err != nil {
		return st, err
	}
	defer s.Close()
	ins, err := s.db.Prepare(`INSERT INTO checkouts (id, session, request_id, feature, version, count, since)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return st, domainErr(err)
	}
	defer ins.Close()
	del, err := s.db.Prepare(`DELETE FROM checkouts WHERE id = ?`)
	if err != nil {
		return st, domainErr(err)
	}
	defer del.Close()
	ev, err := s.db.Prepare(`INSERT INTO events (seq, at, kind, feature, user, host, session, checkout, count, code, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return st, domainErr(err)
	}
	defer ev.Close()
	start := time.Now()
	seq := int64(0)
	for time.Since(start) < d && ctx.Err() == nil {
		t0 := time.Now()
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return st, fmt.Errorf("write loop: begin: %w", domainErr(err))
		}
		ti, td, te := tx.Stmt(ins), tx.Stmt(del), tx.Stmt(ev)
		for range batch {
			id := fmt.Sprintf("%032x", st.Pairs)
			now := time.Now().UnixNano()
			_, err = ti.Exec(id, "session", id, "bench", "1.0", 1, now)
			if err == nil {
				_, err = td.Exec(id)
			}
			for _, kind := range []string{"grant", "release"} {
				seq++
				if err == nil {
					_, err = te.Exec(seq, now, kind, "bench", "user", "host", "session", id, 1, "", "")
				}
			}
			if err != nil {
				tx.Rollback()
				return st, fmt.Errorf("write loop: %w", domainErr(err))
			}
			st.Pairs++
		}
		if err := tx.Commit(); err != nil {
			return st, fmt.Errorf("write loop: commit: %w", domainErr(err))
		}
		st.Commits++
		if observe != nil {
			observe(time.Since(t0))
		}
	}
	st.Elapsed = time.Since(start)
	return st, nil
}
