package engine

import (
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// The lease a single server tells a client must outlive a crash: a restart
// continues each lease from the stored heartbeat time, which is written
// only now and then, so a server that promised now + lease would, once
// restarted, reclaim the seat before the time it promised. The chaos suite
// found that (a restarted licd gave a seat away 0.2 s before its client's
// lease ended); this is the same crash, by hand.
func TestPromisedLeaseOutlivesACrash(t *testing.T) {
	const (
		lease = 4 * time.Second
		floor = 1500 * time.Millisecond
	)
	cfg := Config{Lease: lease, RestartFloor: floor, FlushPeriod: time.Hour}
	e, st := openEngine(t, 1)
	e.Close()
	e, err := Open(st, []*Feature{{Name: "f", Version: "1.0", Count: 1, HostOK: true}}, cfg, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := client(1)
	res := e.Submit(Checkout{Now: testNow, Client: c, RequestID: "r", CheckoutID: "co1", Feature: "f"})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	promised := testNow.Add(time.Duration(res.Reply.(wire.CheckoutReply).LeaseSeconds * float64(time.Second)))
	now := testNow
	for range 3 {
		now = now.Add(time.Second)
		res := e.Submit(Heartbeat{Now: now, Client: c})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		lu := res.Reply.(wire.HeartbeatReply).LeaseUntil
		if lu.Before(now.Add(floor)) {
			t.Errorf("heartbeat at %v: lease until %v, less than the restart floor", now.Sub(testNow), lu.Sub(testNow))
		}
		promised = maxTime(promised, lu)
	}

	// kill -9: nothing more is written; a new engine loads the store.
	restart := now.Add(200 * time.Millisecond)
	again, err := Open(st, []*Feature{{Name: "f", Version: "1.0", Count: 1, HostOK: true}}, cfg, restart, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var status wire.Status
	again.Status(restart, &status)
	if len(status.Checkouts) != 1 {
		t.Fatalf("after the restart: %d checkouts, want 1", len(status.Checkouts))
	}
	if kept := status.Checkouts[0].LeaseUntil; kept.Before(promised) {
		t.Errorf("the restarted server keeps the seat until %v, but promised it until %v",
			kept.Sub(testNow), promised.Sub(testNow))
	}
}
