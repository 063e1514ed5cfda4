package store

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// Held is a checkout or a borrow out of the pool, as a usage report needs it.
type Held struct {
	ID      string
	Feature string
	User    string
	Host    string
	Count   int
	Borrow  bool
}

// ReportData is what a usage report is computed from (package report),
// read in one transaction so that the three agree.
type ReportData struct {
	Held []Held
	// Events are the stored events from the batch that holds the first
	// event at or after the period's start, to the newest, in order.
	Events []wire.Event
	Oldest time.Time // the oldest stored event's time; zero when none
}

// ReportData reads the checkouts and borrows held now, the audit trail
// from since on, and the time of its oldest event.
func (s *Store) ReportData(since time.Time) (*ReportData, error) {
	d, err := s.reportData(since)
	if err != nil {
		return nil, fmt.Errorf("read the audit trail from %s: %w", s.path, domainErr(err))
	}
	return d, nil
}

func (s *Store) reportData(since time.Time) (*ReportData, error) {
	tx, err := s.ro.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d := &ReportData{}
	var oldest sql.NullInt64
	if err := tx.QueryRow(`SELECT json_extract(data, '$[0][0]') FROM event_batches ORDER BY first_seq LIMIT 1`).Scan(&oldest); err != nil && err != sql.ErrNoRows {
		return nil, err
	}
	if oldest.Valid {
		d.Oldest = fromNanos(oldest.Int64)
	}
	err = scanRows(tx, `SELECT c.id, c.feature, coalesce(s.user, ''), coalesce(s.host, ''), c.count, 0 FROM checkouts AS c
		LEFT JOIN sessions AS s ON s.id = c.session
		UNION ALL SELECT id, feature, user, host, 1, 1 FROM borrows ORDER BY 1`, func(r *sql.Rows) error {
		var h Held
		err := r.Scan(&h.ID, &h.Feature, &h.User, &h.Host, &h.Count, &h.Borrow)
		d.Held = append(d.Held, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	// The batch a period starts in is the last whose first event is not
	// after since: events are stored in the order they happened.
	err = scanRows(tx, `SELECT first_seq, data FROM event_batches
		WHERE first_seq >= coalesce((SELECT max(first_seq) FROM event_batches WHERE json_extract(data, '$[0][0]') <= ?), 0)
		ORDER BY first_seq`, func(r *sql.Rows) error {
		var first int64
		var data string
		if err := r.Scan(&first, &data); err != nil {
			return err
		}
		evs, err := decodeEvents(first, data)
		d.Events = append(d.Events, evs...)
		return err
	}, nanos(since))
	return d, err
}

func scanRows(tx *sql.Tx, q string, scan func(*sql.Rows) error, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
