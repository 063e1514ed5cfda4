package engine

import (
	"slices"
	"testing"
	"time"
)

// Due lists the expired sessions in id order; a Reap reclaims only those
// it names that are still expired at its time.
func TestReapNamedSessions(t *testing.T) {
	e, _ := openEngine(t, 100)
	defer e.Close()
	for i := range 5 {
		id := client(i).Session
		if r := e.Submit(Checkout{Now: testNow, Client: client(i), RequestID: id, CheckoutID: "c" + id, Feature: "f"}); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	e.Submit(Heartbeat{Now: testNow.Add(50 * time.Minute), Client: client(2)})
	t1 := testNow.Add(61 * time.Minute) // the lease is an hour
	due, others := e.Due(t1)
	want := []string{client(0).Session, client(1).Session, client(3).Session, client(4).Session}
	if !slices.Equal(due, want) || others {
		t.Fatalf("Due = %v, %v; want %v, false", due, others, want)
	}
	e.Submit(Reap{Now: t1, Sessions: []string{client(0).Session, client(2).Session}})
	if used, _ := e.InUse("f"); used != 4 {
		t.Fatalf("in use after reaping one session = %d, want 4 (the other was heard from)", used)
	}
	e.Submit(Reap{Now: t1, Sessions: want[1:]})
	if used, _ := e.InUse("f"); used != 1 {
		t.Fatalf("in use after reaping the rest = %d, want 1", used)
	}
	if due, _ := e.Due(t1); len(due) != 0 {
		t.Fatalf("Due after reaping = %v, want none", due)
	}
}
