package engine

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// storedBeats returns the heartbeat times the store holds, by session.
func storedBeats(t *testing.T, st *store.Store) map[string]time.Time {
	t.Helper()
	snap, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Time{}
	for _, s := range snap.Sessions {
		out[s.ID] = s.LastHeartbeat
	}
	return out
}

// Heartbeat times reach the store a chunk per batch once the flush period
// is over, every session's latest, and all of them at Close. A heartbeat
// itself writes nothing and starts no batch.
func TestHeartbeatFlush(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "licd.db"), store.Options{Sync: store.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	e, err := Open(st, []*Feature{{Name: "f", Version: "1.0", Count: 10_000, HostOK: true}},
		Config{Lease: time.Hour, FlushPeriod: time.Minute}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := flushChunk + 10
	clients := make([]wire.Client, n)
	for i := range clients {
		clients[i] = wire.Client{Session: fmt.Sprintf("s%05d", i), User: "u", Host: "h"}
		if r := e.Submit(Checkout{Now: t0, Client: clients[i], RequestID: "r", CheckoutID: fmt.Sprint("c", i), Feature: "f"}); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	t1 := t0.Add(10 * time.Second)
	for _, c := range clients {
		e.Submit(Heartbeat{Now: t1, Client: c})
	}
	if got := storedBeats(t, st)["s00000"]; !got.Equal(t0) {
		t.Fatalf("before the period: stored %v, want %v", got, t0)
	}
	t2 := t0.Add(2 * time.Minute)
	e.Submit(Heartbeat{Now: t2, Client: clients[0]})
	if !e.FlushDue(t2) || storedBeats(t, st)["s00000"].Equal(t2) {
		t.Fatal("a heartbeat wrote its time at once, or the flush is not due")
	}
	e.Submit(Flush{Now: t2}) // starts the flush: the first chunk
	beats := storedBeats(t, st)
	if !beats["s00000"].Equal(t2) || !beats[clients[flushChunk-1].Session].Equal(t1) || !beats[clients[flushChunk].Session].Equal(t0) {
		t.Fatalf("after one batch: %v %v %v", beats["s00000"], beats[clients[flushChunk-1].Session], beats[clients[flushChunk].Session])
	}
	e.Submit(Note{Now: t2, Kind: wire.EventStart}) // any batch writes the next chunk
	if got := storedBeats(t, st)[clients[n-1].Session]; !got.Equal(t1) {
		t.Fatalf("after two batches: %v, want %v", got, t1)
	}
	if e.FlushDue(t2) {
		t.Fatal("flush still due after every time was written")
	}
	t3 := t2.Add(time.Second)
	e.Submit(Heartbeat{Now: t3, Client: clients[5]})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if got := storedBeats(t, st)[clients[5].Session]; !got.Equal(t3) {
		t.Fatalf("after Close: %v, want %v", got, t3)
	}
}
