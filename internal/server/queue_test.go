package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

func queueCheckout(t *testing.T, addr string, c wire.Client, reqID string) wire.CheckoutReply {
	t.Helper()
	var r wire.CheckoutReply
	if _, e := post(t, addr, wire.PathCheckout, wire.CheckoutRequest{Client: c, RequestID: reqID, Feature: "solver", Queue: true}, &r); e != nil {
		t.Fatalf("checkout %s: %v", reqID, e)
	}
	return r
}

// solver has COUNT 2: the third and fourth requests wait, status lists
// them in order, and a checkin hands the seat to the head at once.
func TestQueueOverHTTP(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, bob, cy, dan := newClient("ann"), newClient("bob"), newClient("cy"), newClient("dan")
	a := queueCheckout(t, s.Addr, ann, "a")
	queueCheckout(t, s.Addr, bob, "b")
	if r := queueCheckout(t, s.Addr, cy, "c"); !r.Queued || r.Position != 1 || r.CheckoutID != "" {
		t.Fatalf("third request: %+v, want queued at 1", r)
	}
	if r := queueCheckout(t, s.Addr, dan, "d"); !r.Queued || r.Position != 2 || r.QueueLength != 2 {
		t.Fatalf("fourth request: %+v, want queued at 2 of 2", r)
	}
	st := status(t, s.Addr)
	if len(st.Queue) != 2 || st.Queue[0].User != "cy" || st.Queue[1].User != "dan" || st.Queue[1].Position != 2 {
		t.Fatalf("status queue = %+v", st.Queue)
	}
	if _, e := post(t, s.Addr, wire.PathCheckin, wire.CheckinRequest{Client: ann, CheckoutID: a.CheckoutID}, nil); e != nil {
		t.Fatal(e)
	}
	if r := queueCheckout(t, s.Addr, cy, "c"); r.Queued || r.CheckoutID == "" {
		t.Fatalf("cy after ann's checkin: %+v, want the checkout", r)
	}
	if r := queueCheckout(t, s.Addr, dan, "d"); r.Position != 1 {
		t.Fatalf("dan after cy's grant: %+v, want position 1", r)
	}
	// dan gives up: the queue is empty.
	if _, e := post(t, s.Addr, wire.PathCheckin, wire.CheckinRequest{Client: dan, RequestID: "d"}, nil); e != nil {
		t.Fatal(e)
	}
	if st := status(t, s.Addr); len(st.Queue) != 0 {
		t.Fatalf("queue after dan cancelled = %+v", st.Queue)
	}
	if st, e := post(t, s.Addr, wire.PathCheckin, wire.CheckinRequest{Client: dan, RequestID: "d", All: true}, nil); st != http.StatusBadRequest {
		t.Fatalf("checkin with request_id and all: %d %v, want 400", st, e)
	}
}

// A remove by user with a hold frees the seats, names who removed, and
// refuses the user's re-take until the hold ends (fake clock).
func TestRemoveByUserWithHold(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC))
	s := servertest.Start(t, servertest.Options{Clock: clk, Lease: time.Hour})
	ann := newClient("ann")
	if _, e := checkout(t, s.Addr, ann, "r", "cad_pro"); e != nil {
		t.Fatal(e)
	}
	st, body := adminPost(t, s.Addr, wire.PathRemove, s.AdminToken, wire.RemoveRequest{User: "ann", HoldSeconds: 60, By: "root@adm"})
	if st != http.StatusOK || !strings.Contains(string(body), `"removed":1`) || !strings.Contains(string(body), `"hold_until":"2026-12-06T04:01:00Z"`) {
		t.Fatalf("remove: %d %s", st, body)
	}
	code, e := post(t, s.Addr, wire.PathCheckout, wire.CheckoutRequest{Client: ann, RequestID: "r", Feature: "cad_pro"}, nil)
	if code != http.StatusForbidden || e == nil || e.Code != wire.CodeRemovedHold || !strings.Contains(e.Message, "root@adm") {
		t.Fatalf("re-take while held: %v, want removed_hold naming root@adm", e)
	}
	clk.Advance(time.Minute)
	if _, e := checkout(t, s.Addr, ann, "r", "cad_pro"); e != nil {
		t.Fatalf("re-take after the hold: %v", e)
	}
	for _, bad := range []wire.RemoveRequest{{}, {User: "ann", CheckoutID: "x"}, {CheckoutID: "x", HoldSeconds: 5}, {User: "ann", HoldSeconds: -1}} {
		if st, body := adminPost(t, s.Addr, wire.PathRemove, s.AdminToken, bad); st != http.StatusBadRequest {
			t.Errorf("remove %+v: %d %s, want 400", bad, st, body)
		}
	}
}
