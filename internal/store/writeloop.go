package store

import (
	"context"
	"fmt"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
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
// pairs, each an INSERT and a DELETE of a checkout, and the batch's two events
// a pair as licd writes them (one row); observe, if set, gets each
// transaction's time from BEGIN to the end of COMMIT. It is the raw floor
// under what the server's engine does per batch, without the server.
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
	start := time.Now()
	seq := int64(0)
	evs := make([]wire.Event, 0, 2*batch)
	for time.Since(start) < d && ctx.Err() == nil {
		t0 := time.Now()
		tx, err := s.Begin()
		if err != nil {
			return st, fmt.Errorf("write loop: %w", err)
		}
		evs = evs[:0]
		for range batch {
			id := fmt.Sprintf("%032x", st.Pairs)
			now := time.Now()
			tx.InsertCheckout(Checkout{ID: id, Session: "session", RequestID: id, Feature: "bench", Version: "1.0", Count: 1, Since: now})
			tx.DeleteCheckout(id)
			for _, kind := range []string{wire.EventGrant, wire.EventRelease} {
				seq++
				evs = append(evs, wire.Event{Seq: seq, Time: now, Kind: kind, Feature: "bench", User: "user",
					Host: "host", Session: "session", Checkout: id, Count: 1})
			}
			st.Pairs++
		}
		tx.InsertEvents(evs)
		if err := tx.Commit(); err != nil {
			return st, fmt.Errorf("write loop: %w", err)
		}
		st.Commits++
		if observe != nil {
			observe(time.Since(t0))
		}
	}
	st.Elapsed = time.Since(start)
	return st, nil
}
