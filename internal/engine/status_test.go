package engine

import (
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// Status lists checkouts oldest first (by id when granted at the same
// time), each with its own session's user, host and latest heartbeat, and
// its session's handle, never the id.
func TestStatusCheckouts(t *testing.T) {
	e, _ := openEngine(t, 100)
	defer e.Close()
	grants := []struct {
		session, checkout string
		at                time.Duration
	}{
		{"s3", "c-b", 2 * time.Minute},
		{"s1", "c-z", time.Minute},
		{"s2", "c-a", 2 * time.Minute},
		{"s1", "c-y", 3 * time.Minute},
	}
	for _, g := range grants {
		c := wire.Client{Session: g.session, User: "user-" + g.session, Host: "host-" + g.session}
		if r := e.Submit(Checkout{Now: testNow.Add(g.at), Client: c, RequestID: g.checkout, CheckoutID: g.checkout, Feature: "f"}); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	beat := testNow.Add(10 * time.Minute)
	e.Submit(Heartbeat{Now: beat, Client: wire.Client{Session: "s2", User: "user-s2", Host: "host-s2"}})

	var st wire.Status
	e.Status(testNow.Add(11*time.Minute), &st)
	want := []string{"c-z", "c-a", "c-b", "c-y"}
	if len(st.Checkouts) != len(want) {
		t.Fatalf("%d checkouts, want %d", len(st.Checkouts), len(want))
	}
	byHandle := map[string]string{}
	for _, id := range []string{"s1", "s2", "s3"} {
		byHandle[wire.SessionHandle(id)] = id
	}
	for i, c := range st.Checkouts {
		if c.ID != want[i] {
			t.Fatalf("checkout %d is %s, want %s (order %v)", i, c.ID, want[i], want)
		}
		id, ok := byHandle[c.Session]
		if !ok {
			t.Fatalf("checkout %s shows session %q, not the handle of its session", c.ID, c.Session)
		}
		if c.User != "user-"+id || c.Host != "host-"+id {
			t.Errorf("checkout %s of %s shows user %q, host %q", c.ID, id, c.User, c.Host)
		}
		if heard := id == "s2"; heard != c.LastHeartbeat.Equal(beat) {
			t.Errorf("checkout %s of %s: last heartbeat %v", c.ID, c.Session, c.LastHeartbeat)
		}
	}
	if f := st.Features[0]; f.Name != "f" || f.InUse != 4 {
		t.Errorf("feature %+v, want f with 4 in use", f)
	}
}
