package store

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/floatlic/floatlic/internal/wire"
)

// The audit trail is stored a batch to a row (migration 003): the events one
// transaction commits, numbered in a row from first_seq, as a JSON array of
// arrays in eventFields order. The view "events" shows them a row each.

// eventFields are where an event's fields sit in its stored array; the
// sequence number is not stored but counted from the batch's first_seq.
func eventFields(e *wire.Event, at *int64) [10]any {
	return [10]any{at, &e.Kind, &e.Feature, &e.User, &e.Host, &e.Session, &e.Checkout, &e.Count, &e.Code, &e.Detail}
}

// InsertEvents appends evs, which must be numbered in a row, to the audit
// trail as one row: a batch costs one statement of three values, where a row
// per event cost eleven values each.
func (t *Tx) InsertEvents(evs []wire.Event) {
	if len(evs) == 0 || t.err != nil {
		return
	}
	first := evs[0].Seq
	for i, e := range evs {
		if e.Seq != first+int64(i) {
			t.err = fmt.Errorf("insert events: event %d of the batch has seq %d, want %d: a batch's events are numbered in a row", i, e.Seq, first+int64(i))
			return
		}
	}
	data, err := encodeEvents(evs)
	if err != nil {
		t.err = fmt.Errorf("insert events from seq %d: %w", first, err)
		return
	}
	t.exec("insertEvents", first, first+int64(len(evs))-1, data)
}

// encodeEvents writes evs as the stored JSON array of arrays.
func encodeEvents(evs []wire.Event) (string, error) {
	rows := make([][10]any, len(evs))
	for i := range evs {
		at := nanos(evs[i].Time)
		rows[i] = eventFields(&evs[i], &at)
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

// decodeEvents reads one stored batch.
func decodeEvents(first int64, data string) ([]wire.Event, error) {
	var rows []json.RawMessage
	if err := json.Unmarshal([]byte(data), &rows); err != nil {
		return nil, fmt.Errorf("events from seq %d: %w", first, err)
	}
	evs := make([]wire.Event, len(rows))
	for i, row := range rows {
		e := &evs[i]
		e.Seq = first + int64(i)
		var at int64
		fields := eventFields(e, &at)
		if err := json.Unmarshal(row, &fields); err != nil {
			return nil, fmt.Errorf("event %d: %w", e.Seq, err)
		}
		e.Time = fromNanos(at)
	}
	return evs, nil
}

// Events returns up to limit events with seq > after, oldest first; with
// after < 0, the latest limit events. Every batch holds one event or more,
// so limit batches hold enough.
func (s *Store) Events(after int64, limit int) ([]wire.Event, error) {
	q := `SELECT first_seq, data FROM event_batches
		WHERE first_seq >= coalesce((SELECT max(first_seq) FROM event_batches WHERE first_seq <= ?1), 0)
		AND last_seq > ?1 ORDER BY first_seq LIMIT ?2`
	args := []any{after, limit}
	if after < 0 {
		q = `SELECT * FROM (SELECT first_seq, data FROM event_batches ORDER BY first_seq DESC LIMIT ?)
			ORDER BY first_seq`
		args = []any{limit}
	}
	var out []wire.Event
	err := s.query(s.ro, q, func(r *sql.Rows) error {
		var first int64
		var data string
		if err := r.Scan(&first, &data); err != nil {
			return err
		}
		evs, err := decodeEvents(first, data)
		out = append(out, evs...)
		return err
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("read events from %s: %w", s.path, err)
	}
	if after < 0 {
		return out[max(0, len(out)-limit):], nil
	}
	i, _ := slices.BinarySearchFunc(out, after+1, func(e wire.Event, seq int64) int { return cmp.Compare(e.Seq, seq) })
	return out[i:min(len(out), i+limit)], nil
}

// PruneEvents deletes all but the newest keep events: the batches older than
// those whole, and the older part of the batch that straddles the line.
func (s *Store) PruneEvents(keep int64) (int64, error) {
	n, err := s.pruneEvents(keep)
	if err != nil {
		return 0, fmt.Errorf("prune events in %s: %w", s.path, domainErr(err))
	}
	return n, nil
}

func (s *Store) pruneEvents(keep int64) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var line int64 // the newest seq to delete
	err = tx.QueryRow(`SELECT coalesce((SELECT last_seq FROM event_batches ORDER BY first_seq DESC LIMIT 1), 0) - ?`, keep).Scan(&line)
	if err != nil || line <= 0 {
		return 0, err
	}
	var whole, first sql.NullInt64
	if err := tx.QueryRow(`SELECT sum(last_seq - first_seq + 1) FROM event_batches WHERE first_seq <= ?1 AND last_seq <= ?1`, line).Scan(&whole); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(`DELETE FROM event_batches WHERE first_seq <= ?1 AND last_seq <= ?1`, line); err != nil {
		return 0, err
	}
	err = tx.QueryRow(`SELECT first_seq FROM event_batches WHERE first_seq <= ?1 AND last_seq > ?1`, line).Scan(&first)
	if err != nil && err != sql.ErrNoRows {
		return 0, err
	}
	n := whole.Int64
	if first.Valid {
		// SET sees the row as it was: data and first_seq are the old ones.
		_, err := tx.Exec(`UPDATE event_batches SET first_seq = ?1 + 1,
			data = (SELECT json_group_array(json(value) ORDER BY key) FROM json_each(data) WHERE key > ?1 - first_seq)
			WHERE first_seq = ?2`, line, first.Int64)
		if err != nil {
			return 0, err
		}
		n += line - first.Int64 + 1
	}
	return n, tx.Commit()
}
