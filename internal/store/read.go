package store

import (
	"database/sql"
	"fmt"
)

// Load reads the whole durable state.
func (s *Store) Load() (*Snapshot, error) {
	snap := &Snapshot{}
	var lastEvent, mark int64
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
		{"queue", `SELECT seq, session, request_id, checkout_id, feature, version, count, since FROM queue ORDER BY seq`, func(r *sql.Rows) error {
			var x Queued
			var since int64
			if err := r.Scan(&x.Seq, &x.Session, &x.RequestID, &x.CheckoutID, &x.Feature, &x.Version, &x.Count, &since); err != nil {
				return err
			}
			x.Since = fromNanos(since)
			snap.Queue = append(snap.Queue, x)
			return nil
		}},
		{"holds", `SELECT id, user, host, feature, until, by FROM holds ORDER BY id`, func(r *sql.Rows) error {
			var x Hold
			var until int64
			if err := r.Scan(&x.ID, &x.User, &x.Host, &x.Feature, &until, &x.By); err != nil {
				return err
			}
			x.Until = fromNanos(until)
			snap.Holds = append(snap.Holds, x)
			return nil
		}},
		{"events", `SELECT coalesce(last_seq, 0), coalesce(json_extract(data, '$[#-1][0]'), 0),
			coalesce((SELECT newest FROM clock WHERE id = 1), 0)
			FROM (SELECT 1) LEFT JOIN (SELECT last_seq, data FROM event_batches ORDER BY first_seq DESC LIMIT 1)`, func(r *sql.Rows) error {
			return r.Scan(&snap.LastSeq, &lastEvent, &mark)
		}},
	}
	for _, st := range steps {
		if err := s.query(s.db, st.q, st.scan); err != nil {
			return nil, fmt.Errorf("load %s from %s: %w", st.what, s.path, err)
		}
	}
	snap.newest(mark, lastEvent)
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
