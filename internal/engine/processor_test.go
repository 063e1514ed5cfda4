package engine

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

var testNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// openEngine opens an engine on a fresh store with one feature of count
// licenses.
func openEngine(t *testing.T, count int) (*Engine, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "licd.db"), store.Options{Sync: store.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e, err := Open(st, []*Feature{{Name: "f", Version: "1.0", Count: count, HostOK: true}},
		Config{Lease: time.Hour}, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e, st
}

func client(i int) wire.Client {
	return wire.Client{Session: fmt.Sprintf("s%05d", i), User: "u", Host: "h"}
}

// Concurrent submitters are all answered, share commits, and leave the
// ledger as they found it.
func TestConcurrentSubmitsShareBatches(t *testing.T) {
	e, _ := openEngine(t, 1000)
	defer e.Close()
	const workers, rounds = 32, 40
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client(w)
			for i := range rounds {
				id := fmt.Sprintf("c%d-%d", w, i)
				if r := e.Submit(Checkout{Now: testNow, Client: c, RequestID: id, CheckoutID: id, Feature: "f"}); r.Err != nil {
					errs <- fmt.Sprintf("checkout %s: %v", id, r.Err)
					return
				}
				if r := e.Submit(Checkin{Now: testNow, Client: c, CheckoutID: id}); r.Err != nil {
					errs <- fmt.Sprintf("checkin %s: %v", id, r.Err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	if used, _ := e.InUse("f"); used != 0 {
		t.Errorf("in use after every checkin = %d, want 0", used)
	}
	cs := e.CommitStats()
	if cs.Commands != 2*workers*rounds {
		t.Errorf("commands = %d, want %d", cs.Commands, 2*workers*rounds)
	}
	if cs.Batches >= cs.Commands {
		t.Errorf("%d batches for %d commands: no batch held more than one", cs.Batches, cs.Commands)
	}
}

// Close waits for every command it accepted, so the store can be closed
// right after it: what was granted is in the store, and the rest is refused
// as shutting down, not failed half-way. Commands after Close, heartbeats
// too, are refused.
func TestCloseKeepsWhatItAnswered(t *testing.T) {
	e, st := openEngine(t, 1_000_000)
	var granted atomic.Int64
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10_000; i++ { // bounded; Close ends it much sooner
				id := fmt.Sprintf("c%d-%d", w, i)
				r := e.Submit(Checkout{Now: testNow, Client: client(w), RequestID: id, CheckoutID: id, Feature: "f"})
				if r.Err != nil {
					if r.Err.Code != wire.CodeUnavailable || !strings.Contains(r.Err.Message, "shutting down") {
						t.Errorf("checkout %s: %v, want unavailable: shutting down", id, r.Err)
					}
					return
				}
				granted.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.CommitStats().Commits < 5 && time.Now().Before(deadline) { // let the workers get going
		time.Sleep(time.Millisecond)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close() // as the server does: a batch still under way would fail
	wg.Wait()
	st, err := store.Open(st.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(snap.Checkouts)) != granted.Load() {
		t.Errorf("store holds %d checkouts, %d were granted", len(snap.Checkouts), granted.Load())
	}
	for _, cmd := range []Command{
		Checkout{Now: testNow, Client: client(99), RequestID: "late", CheckoutID: "late", Feature: "f"},
		Heartbeat{Now: testNow, Client: client(0)},
	} {
		if r := e.Submit(cmd); r.Err == nil || r.Err.Code != wire.CodeUnavailable {
			t.Errorf("%T after Close: %v, want unavailable", cmd, r.Err)
		}
	}
}
