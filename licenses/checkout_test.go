package licenses_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

func TestCheckoutAndCheckin(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t)
	c, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}})

	lic, err := c.Checkout(ctx, "cad_pro", "1.5")
	if err != nil {
		t.Fatal(err)
	}
	if lic.Source() != licenses.FromServer || lic.Version() != "2.0" || lic.Server() != srv.Addr ||
		lic.CheckoutID() == "" || !lic.Expires().IsZero() || lic.IsGrace() || lic.IsBorrowed() {
		t.Errorf("license = source %s version %s server %s id %q expires %v",
			lic.Source(), lic.Version(), lic.Server(), lic.CheckoutID(), lic.Expires())
	}
	wantInUse(t, srv, "cad_pro", 1)
	if err := lic.Checkin(ctx); err != nil {
		t.Fatal(err)
	}
	wantInUse(t, srv, "cad_pro", 0)
	if err := lic.Checkin(ctx); err != nil {
		t.Errorf("second Checkin = %v, want nil", err)
	}
}

func TestCheckoutRefusals(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t)
	c, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}})
	for range 2 {
		if _, err := c.Checkout(ctx, "solver", ""); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		feature, version, code string
	}{
		{"solver", "", licenses.CodeCountExhausted},
		{"cad_pro", "2.1", licenses.CodeVersionTooHigh},
		{"nope", "", licenses.CodeUnknownFeature},
		{"", "", wire.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			_, err := c.Checkout(ctx, tt.feature, tt.version)
			wantCode(t, err, tt.code)
		})
	}
	wantInUse(t, srv, "solver", 2)
}

func TestCheckoutNoServer(t *testing.T) {
	addr := deadAddr(t)
	ctx := testCtx(t)
	c, _ := newClient(t, licenses.Options{Servers: []string{addr}})
	_, err := c.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeNoServer)

	t.Setenv(licenses.EnvServer, "")
	none, _ := newClient(t, licenses.Options{})
	_, err = none.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeNoServer)
}

func TestServersFromEnv(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	t.Setenv(licenses.EnvServer, deadAddr(t)+","+srv.Addr)
	c, _ := newClient(t, licenses.Options{})
	if got := c.Servers(); len(got) != 2 || got[1] != srv.Addr {
		t.Fatalf("Servers() = %v", got)
	}
	lic, err := c.Checkout(testCtx(t), "cad_view", "")
	if err != nil {
		t.Fatal(err)
	}
	if lic.Server() != srv.Addr {
		t.Errorf("served by %s, want %s after the dead first server", lic.Server(), srv.Addr)
	}
}

// TestLostReplyCostsOneLicense loses the replies to a checkout: the request
// reaches the server every time, the client hears nothing and sends it
// again with the same request id.
func TestLostReplyCostsOneLicense(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	px := startProxy(t, srv.Addr)
	ctx := testCtx(t)
	c, _ := newClient(t, licenses.Options{Servers: []string{px.Addr()}})
	px.DropReplies(2)
	lic, err := c.Checkout(ctx, "cad_pro", "")
	if err != nil {
		t.Fatal(err)
	}
	if n := px.Accepted(); n < 3 {
		t.Fatalf("proxy saw %d connections, want 3 (two lost replies, one answer)", n)
	}
	wantInUse(t, srv, "cad_pro", 1)
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wantInUse(t, srv, "cad_pro", 0)
	if lic.CheckoutID() == "" {
		t.Error("no checkout id")
	}
}

// TestFollowsNotPrimary puts a node that is not serving first in the list.
func TestFollowsNotPrimary(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	standby := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(wire.InstanceHeader, "standby")
		w.WriteHeader(http.StatusConflict)
		_ = json.NewEncoder(w).Encode(wire.ErrorReply{Error: &wire.Error{Code: wire.CodeNotPrimary,
			Message: "node #3 does not serve", Primary: srv.Addr}})
	}))
	defer standby.Close()
	c, _ := newClient(t, licenses.Options{Servers: []string{standby.URL}})
	lic, err := c.Checkout(testCtx(t), "cad_pro", "")
	if err != nil {
		t.Fatal(err)
	}
	if lic.Server() != srv.Addr {
		t.Errorf("served by %s, want the primary %s", lic.Server(), srv.Addr)
	}
	wantInUse(t, srv, "cad_pro", 1)
}

func TestCloseChecksInEverything(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t)
	c, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}})
	for _, f := range []string{"cad_pro", "cad_pro", "cad_view"} {
		if _, err := c.Checkout(ctx, f, ""); err != nil {
			t.Fatal(err)
		}
	}
	wantInUse(t, srv, "cad_pro", 2)
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wantInUse(t, srv, "cad_pro", 0)
	wantInUse(t, srv, "cad_view", 0)
	if _, err := c.Checkout(ctx, "cad_view", ""); err != licenses.ErrClosed {
		t.Errorf("Checkout after Close = %v, want ErrClosed", err)
	}
	if err := c.Close(ctx); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// TestManualHeartbeat: heartbeats the application sends itself keep its
// license past its lease, on the server's clock; without them it goes.
func TestManualHeartbeat(t *testing.T) {
	t.Parallel()
	const lease = 600 * time.Millisecond
	srv := servertest.Start(t, servertest.Options{Clock: clock.NewFake(epoch), HeartbeatInterval: 100 * time.Millisecond, Lease: lease})
	ctx := testCtx(t)
	c, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}})
	if _, err := c.Checkout(ctx, "cad_pro", ""); err != nil {
		t.Fatal(err)
	}
	for range 8 { // two leases long: only the heartbeats keep the license
		srv.Clock.Advance(lease / 4)
		if err := c.Heartbeat(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wantInUse(t, srv, "cad_pro", 1)
	srv.Clock.Advance(lease + time.Millisecond)
	waitFor(t, patience, "the lease to run out without heartbeats", func() bool {
		n, _, _ := usage(t, srv.Addr, "cad_pro")
		return n == 0
	})
}

// TestSilentServerCostsOneTimeout puts a black hole first in the list: the
// client waits one request timeout there, not one per retry, then goes on.
func TestSilentServerCostsOneTimeout(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	hole := startProxy(t, srv.Addr)
	hole.SetMode(proxySilent)
	c, _ := newClient(t, licenses.Options{Servers: []string{hole.Addr(), srv.Addr}, RequestTimeout: 300 * time.Millisecond})
	start := time.Now()
	lic, err := c.Checkout(testCtx(t), "cad_pro", "")
	if err != nil {
		t.Fatal(err)
	}
	// One try at the silent server (below) is what shows one timeout; this
	// bound is only a failsafe against a checkout that hangs there.
	if took := time.Since(start); took > patience {
		t.Errorf("checkout took %v past a silent server", took)
	}
	if lic.Server() != srv.Addr || hole.Accepted() != 1 {
		t.Errorf("served by %s after %d tries at the silent server; want %s after 1", lic.Server(), hole.Accepted(), srv.Addr)
	}
}
