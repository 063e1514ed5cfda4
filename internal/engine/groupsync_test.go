package engine

import (
	"errors"
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

func openGroupSync(t *testing.T) (*Engine, *store.Store, time.Time) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "licd.db"), store.Options{Sync: store.SyncFull, GroupSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if !st.GroupSync() {
		t.Fatal("store does not group syncs")
	}
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	e, err := Open(st, []*Feature{{Name: "f", Version: "1.0", Count: 3, HostOK: true}}, Config{Lease: time.Hour}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e, st, t0
}

func checkout(e *Engine, now time.Time, i int) Result {
	c := wire.Client{Session: fmt.Sprintf("s%d", i), User: "u", Host: "h"}
	return e.Submit(Checkout{Now: now, Client: c, RequestID: "r", CheckoutID: fmt.Sprint("c", i), Feature: "f"})
}

// With group sync, no command that wrote is answered before a sync that
// began after its commit; concurrent commands share syncs; COUNT holds.
func TestGroupSyncAnswersAfterSync(t *testing.T) {
	e, st, t0 := openGroupSync(t)
	var syncs, unsyncedAnswers atomic.Int64
	var mu sync.Mutex
	committed := map[int]bool{} // checkouts the store holds at the start of a sync
	e.syncWAL = func() error {
		snap, err := st.Load()
		if err != nil {
			return err
		}
		mu.Lock()
		for _, c := range snap.Checkouts {
			var i int
			fmt.Sscanf(c.ID, "c%d", &i)
			committed[i] = true
		}
		mu.Unlock()
		syncs.Add(1)
		return st.SyncWAL()
	}
	var wg sync.WaitGroup
	var granted atomic.Int64
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := checkout(e, t0, i); r.Err == nil {
				granted.Add(1)
				mu.Lock()
				if !committed[i] {
					unsyncedAnswers.Add(1)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n := unsyncedAnswers.Load(); n > 0 {
		t.Errorf("%d checkouts answered before a sync covered them", n)
	}
	if g := granted.Load(); g != 3 {
		t.Errorf("granted %d, want COUNT 3", g)
	}
	if s := syncs.Load(); s == 0 || s > 20 {
		t.Errorf("%d syncs for 20 checkouts", s)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

// A failed sync refuses the commands it was to make durable, and every
// later one: what reached the disk is unknown until licd restarts.
func TestGroupSyncFailureRefuses(t *testing.T) {
	e, _, t0 := openGroupSync(t)
	if r := checkout(e, t0, 1); r.Err != nil {
		t.Fatal(r.Err)
	}
	e.syncWAL = func() error { return errors.New("input/output error") }
	for i := 2; i <= 3; i++ {
		r := checkout(e, t0, i)
		var we *wire.Error
		if !errors.As(r.Err, &we) || we.Code != wire.CodeUnavailable {
			t.Fatalf("checkout %d after a failed sync: %v, want code %s", i, r.Err, wire.CodeUnavailable)
		}
		if want := "input/output error"; !strings.Contains(we.Message, want) {
			t.Errorf("message %q does not name the failure %q", we.Message, want)
		}
	}
	e.Close()
}
