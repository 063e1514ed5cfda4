package store

import (
	"database/sql"
	"fmt"

	"github.com/floatlic/floatlic/internal/wire"
)

// Load reads the whole durable state.
func (s *Store) Load() (*Snapshot, error) {
	snap := &Snapshot{}
	steps := []struct {
		what string
		q    string
		scan func(*sql.Rows) error
	}{
		{"sessions", `SELECT id, user, host, pid, created, last_heartbeat FROM sessions`, func(r *sql.Rows) error {
			var x Session
			var c, hb int64
			if err := r.Scan(&x.ID, &x.User, &x.Host, &x.PID, &c, &hb); err != nil {
				return err
			}
			x.Created, x.LastHeartbeat = fromNanos(c), fromNanos(hb)
			snap.Sessions = append(snap.Sessions, x)
			return nil
		}},
		{"checkouts", `SELECT id, session, request_id, feature, version, count, since FROM checkouts`, func(r *sql.Rows) error {
			var x Checkout
			var since int64
			if err := r.Scan(&x.ID, &x.Session, &x.RequestID, &x.Feature, &x.Version, &x.Count, &since); err != nil {
				return err
			}
			x.Since = fromNanos(since)
			snap.Checkouts = append(snap.Checkouts, x)
			return nil
		}},
		{"borrows", `SELECT id, session, request_id, feature, version, user, host, since, expires FROM borrows`, func(r *sql.Rows) error {
			var x Borrow
			var since, exp int64
			if err := r.Scan(&x.ID, &x.Session, &x.RequestID, &x.Feature, &x.Version, &x.User, &x.Host, &since, &exp); err != nil {
				return err
			}
			x.Since, x.Expires = fromNanos(since), fromNanos(exp)
			snap.Borrows = append(snap.Borrows, x)
			return nil
		}},
		{"graces", `SELECT token_id, feature, user, host, activated, expires, reported FROM graces`, func(r *sql.Rows) error {
			var x Grace
			var a, e, rep int64
			if err := r.Scan(&x.TokenID, &x.Feature, &x.User, &x.Host, &a, &e, &rep); err != nil {
				return err
			}
			x.Activated, x.Expires, x.Reported = fromNanos(a), fromNanos(e), fromNanos(rep)
			snap.Graces = append(snap.Graces, x)
			return nil
		}},
		{"events", `SELECT coalesce(max(seq), 0) FROM events`, func(r *sql.Rows) error {
			return r.Scan(&snap.LastSeq)
		}},
	}
	for _, st := range steps {
		if err := s.query(s.db, st.q, st.scan); err != nil {
			return nil, fmt.Errorf("load %s from %s: %w", st.what, s.path, err)
		}
	}
	return snap, nil
}

func (s *Store) query(db *sql.DB, q string, scan func(*sql.Rows) error, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return domainErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return domainErr(err)
		}
	}
	return domainErr(rows.Err())
}

// Events returns up to limit events with seq > after, oldest first; with
// after < 0, the latest limit events.
func (s *Store) Events(after int64, limit int) ([]wire.Event, error) {
	q := `SELECT seq, at, kind, feature, user, host, session, checkout, count, code, detail
		FROM events WHERE seq > ? ORDER BY seq LIMIT ?`
	args := []any{after, limit}
	if after < 0 {
		q = `SELECT * FROM (SELECT seq, at, kind, feature, user, host, session, checkout, count, code, detail
			FROM events ORDER BY seq DESC LIMIT ?) ORDER BY seq`
		args = []any{limit}
	}
	var out []wire.Event
	err := s.query(s.ro, q, func(r *sql.Rows) error {
		var e wire.Event
		var at int64
		if err := r.Scan(&e.Seq, &at, &e.Kind, &e.Feature, &e.User, &e.Host, &e.Session, &e.Checkout,
			&e.Count, &e.Code, &e.Detail); err != nil {
			return err
		}
		e.Time = fromNanos(at)
		out = append(out, e)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("read events from %s: %w", s.path, err)
	}
	return out, nil
}

// PruneEvents deletes all but the newest keep events.
func (s *Store) PruneEvents(keep int64) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM events WHERE seq <= (SELECT coalesce(max(seq), 0) FROM events) - ?`, keep)
	if err != nil {
		return 0, fmt.Errorf("prune events in %s: %w", s.path, domainErr(err))
	}
	return res.RowsAffected()
}
