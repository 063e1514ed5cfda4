package licenses_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// positions collects what CheckoutWait reports.
type positions chan [2]int

func (p positions) report(pos, of int) { p <- [2]int{pos, of} }

func (p positions) want(t *testing.T, pos, of int) {
	t.Helper()
	select {
	case got := <-p:
		if got != [2]int{pos, of} {
			t.Fatalf("position %d of %d reported, want %d of %d", got[0], got[1], pos, of)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no position reported, want %d of %d", pos, of)
	}
}

// solver has COUNT 2: a third CheckoutWait waits at position 1 and gets
// the license once one of the two is checked in.
func TestCheckoutWaitGetsLicenseOnCheckin(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{HeartbeatInterval: 50 * time.Millisecond})
	ctx := testCtx(t)
	a, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}})
	first, err := a.Checkout(ctx, "solver", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Checkout(ctx, "solver", ""); err != nil {
		t.Fatal(err)
	}
	b, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, User: "bob"})
	pos := make(positions, 8)
	type result struct {
		lic *licenses.License
		err error
	}
	done := make(chan result, 1)
	go func() {
		lic, err := b.CheckoutWait(ctx, "solver", "", pos.report)
		done <- result{lic, err}
	}()
	pos.want(t, 1, 1)
	if err := first.Checkin(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.lic.CheckoutID() == "" {
			t.Fatalf("CheckoutWait = %v, %v", r.lic, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("CheckoutWait did not return after the checkin")
	}
	wantInUse(t, srv, "solver", 2)
}

// A wait that its context ends leaves the queue; a refusal that no
// release lifts is not waited for.
func TestCheckoutWaitGivesUp(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{HeartbeatInterval: 50 * time.Millisecond})
	ctx := testCtx(t)
	a, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}})
	for range 2 {
		if _, err := a.Checkout(ctx, "solver", ""); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, User: "bob"})
	wctx, cancel := context.WithCancel(ctx)
	pos := make(positions, 8)
	done := make(chan error, 1)
	go func() {
		_, err := b.CheckoutWait(wctx, "solver", "", pos.report)
		done <- err
	}()
	pos.want(t, 1, 1)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("CheckoutWait returned no error after its context ended")
	}
	st, err := licenses.FetchStatus(ctx, srv.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Queue) != 0 {
		t.Fatalf("queue after the wait was given up: %+v", st.Queue)
	}
	_, err = b.CheckoutWait(ctx, "no_such_feature", "", nil)
	wantCode(t, err, wire.CodeUnknownFeature)
}

// An admin's remove with a hold is reported as a lost license with the
// reason, not silently taken back at the next heartbeat.
func TestRemovedWithHoldIsLost(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Lease: time.Hour})
	ctx := testCtx(t)
	c, ex := newClient(t, licenses.Options{Servers: []string{srv.Addr}, AutoHeartbeat: true,
		HeartbeatInterval: 50 * time.Millisecond})
	lic, err := c.Checkout(ctx, "cad_pro", "")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(wire.RemoveRequest{User: "ann", HoldSeconds: 600, By: "root@adm"})
	req, _ := http.NewRequest(http.MethodPost, "http://"+srv.Addr+wire.PathRemove, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("remove: %s", resp.Status)
	}
	select {
	case <-lic.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("the removed license was not reported lost")
	}
	wantCode(t, lic.Err(), wire.CodeRemovedHold)
	waitFor(t, 5*time.Second, "OnLost", func() bool { f, _ := ex.Lost(); return len(f) == 1 })
	wantInUse(t, srv, "cad_pro", 0)
}
