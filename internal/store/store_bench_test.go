package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

func benchStore(b *testing.B, sync string) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "licd.db"), Options{Sync: sync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkCheckoutPairs writes what checkout+checkin pairs cost the store
// in steady state, batch pairs to a transaction: each transaction inserts
// batch checkouts, deletes the ones the previous transaction inserted, and
// appends two events a pair. It reports pairs per second.
func BenchmarkCheckoutPairs(b *testing.B) {
	for _, sync := range []string{SyncFull, SyncNormal} {
		for _, batch := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("sync=%s/batch=%d", sync, batch), func(b *testing.B) {
				s := benchStore(b, sync)
				now := time.Now()
				seq := int64(0)
				evs := make([]wire.Event, 0, 2*batch)
				var prev []string
				b.ResetTimer()
				for i := 0; i < b.N; i += batch {
					tx, err := s.Begin()
					if err != nil {
						b.Fatal(err)
					}
					evs = evs[:0]
					for _, id := range prev {
						tx.DeleteCheckout(id)
					}
					prev = prev[:0]
					for j := range batch {
						id := fmt.Sprintf("%032x", i+j)
						tx.InsertCheckout(Checkout{ID: id, Session: "s", RequestID: id, Feature: "f", Version: "1.0", Count: 1, Since: now})
						prev = append(prev, id)
						seq += 2
						evs = append(evs, wire.Event{Seq: seq - 1, Time: now, Kind: wire.EventGrant, Feature: "f", User: "u", Host: "h", Session: "s", Checkout: id, Count: 1},
							wire.Event{Seq: seq, Time: now, Kind: wire.EventRelease, Feature: "f", User: "u", Host: "h", Session: "s", Checkout: id, Count: 1})
					}
					tx.InsertEvents(evs)
					if err := tx.Commit(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
			})
		}
	}
}

// fill writes n sessions with one checkout each, as a server with n live
// clients holds them.
func fill(b *testing.B, s *Store, n int) []string {
	b.Helper()
	now := time.Now()
	ids := make([]string, n)
	for i := 0; i < n; i += 1000 {
		tx, err := s.Begin()
		if err != nil {
			b.Fatal(err)
		}
		for j := i; j < min(i+1000, n); j++ {
			ids[j] = fmt.Sprintf("%032x", j*7919+1)
			tx.InsertSession(Session{ID: ids[j], User: fmt.Sprint("user", j), Host: fmt.Sprint("host", j%1000), PID: j, Created: now, LastHeartbeat: now})
			tx.InsertCheckout(Checkout{ID: "c" + ids[j], Session: ids[j], RequestID: "r" + ids[j], Feature: "bench", Version: "1.0", Count: 1, Since: now})
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// BenchmarkHeartbeatFlush writes the heartbeat times of 1,000 of 100,000
// sessions in one transaction, as the engine's periodic flush does, and
// reports rows per second: scattered ids, and ids in key order (consecutive
// rows share pages).
func BenchmarkHeartbeatFlush(b *testing.B) {
	s := benchStore(b, SyncFull)
	ids := fill(b, s, 100_000)
	sorted := slices.Sorted(slices.Values(ids))
	const rows = 1000
	for _, order := range []string{"scattered", "sorted"} {
		b.Run(order, func(b *testing.B) {
			for i := range b.N {
				tx, err := s.Begin()
				if err != nil {
					b.Fatal(err)
				}
				at := time.Now()
				for j := range rows {
					if order == "sorted" {
						tx.Heartbeat(sorted[(i*rows+j)%len(ids)], at)
					} else {
						tx.Heartbeat(ids[(i*rows+j*61)%len(ids)], at)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkLoad reads back a store of 100,000 sessions with one checkout
// each: the start-up of a server with that many live clients.
func BenchmarkLoad(b *testing.B) {
	s := benchStore(b, SyncFull)
	fill(b, s, 100_000)
	b.ResetTimer()
	for range b.N {
		snap, err := s.Load()
		if err != nil || len(snap.Sessions) != 100_000 || len(snap.Checkouts) != 100_000 {
			b.Fatalf("load: %v", err)
		}
	}
}

// BenchmarkEncodeEvents measures writing a batch's audit trail row: 20
// events, about what a batch holds at saturation.
func BenchmarkEncodeEvents(b *testing.B) {
	evs := make([]wire.Event, 20)
	for i := range evs {
		evs[i] = wire.Event{Seq: int64(i + 1), Time: time.Now(), Kind: wire.EventGrant, Feature: "cad_pro", User: "ann",
			Host: "ws1", Session: "6b1568996dde508a1b050786ca0d299c", Checkout: "69615372d8e0a60b8b185751a9ddafd7", Count: 1}
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		data, err := encodeEvents(evs)
		if err != nil {
			b.Fatal(err)
		}
		n = len(data)
	}
	b.ReportMetric(float64(n)/float64(len(evs)), "bytes/event")
}
