package licenses_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/licenses"
)

// watchInUse samples the server's count of feature until the test ends and
// returns a function that reports the highest count seen.
func watchInUse(t *testing.T, addr, feature string) (peak func() int) {
	t.Helper()
	var max atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if st, err := licenses.FetchStatus(ctx, addr, nil); err == nil {
				for _, f := range st.Features {
					if f.Name == feature && int64(f.InUse) > max.Load() {
						max.Store(int64(f.InUse))
					}
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return func() int { return int(max.Load()) }
}

// TestReconnectKeepsOneLicense is FlexNet's lingering-license bug: the
// network goes away for longer than a heartbeat interval (but less than the
// lease) and comes back. The session, not the connection, owns the license,
// so the server still counts one, and Close leaves none.
func TestReconnectKeepsOneLicense(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		mode proxyMode
	}{{"reset", proxyReset}, {"silent", proxySilent}} {
		t.Run(mode.name, func(t *testing.T) {
			// The server's clock moves only when the test says, so the cut
			// lasts as long on it as the test says, however slow the machine.
			const lease = 2 * time.Second
			srv := servertest.Start(t, servertest.Options{Clock: clock.NewFake(epoch), HeartbeatInterval: 100 * time.Millisecond, Lease: lease})
			px := startProxy(t, srv.Addr)
			peak := watchInUse(t, srv.Addr, "cad_pro")
			ctx := testCtx(t)
			c, ex := newClient(t, licenses.Options{Servers: []string{px.Addr()}, AutoHeartbeat: true,
				HeartbeatAttempts: 100, RequestTimeout: 200 * time.Millisecond})
			lic, err := c.Checkout(ctx, "cad_pro", "")
			if err != nil {
				t.Fatal(err)
			}
			id := lic.CheckoutID()
			before := px.Accepted()
			px.SetMode(mode.mode)
			waitFor(t, patience, "two heartbeats to try to reconnect during the cut", func() bool { return px.Accepted() >= before+2 })
			srv.Clock.Advance(lease / 4)
			back := srv.Clock.Now()
			srv.Clock.Advance(time.Millisecond)
			px.SetMode(proxyPass)
			waitFor(t, patience, "a heartbeat through the proxy", func() bool { return heartbeatAfter(srv, id, back) })
			wantInUse(t, srv, "cad_pro", 1)
			if lic.CheckoutID() != id {
				t.Errorf("checkout id changed from %s to %s: the license was taken again", id, lic.CheckoutID())
			}
			wantOneThenNone(t, ctx, c, ex, srv, peak)
		})
	}
}

// TestCutLongerThanLease cuts the network for longer than the lease: the
// server reclaims the license, and when the network comes back the client
// checks it out again. There are never two at once.
func TestCutLongerThanLease(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{HeartbeatInterval: 100 * time.Millisecond, Lease: 400 * time.Millisecond})
	px := startProxy(t, srv.Addr)
	peak := watchInUse(t, srv.Addr, "cad_pro")
	ctx := testCtx(t)
	c, ex := newClient(t, licenses.Options{Servers: []string{px.Addr()}, AutoHeartbeat: true,
		HeartbeatAttempts: 100, RequestTimeout: 200 * time.Millisecond})
	lic, err := c.Checkout(ctx, "cad_pro", "")
	if err != nil {
		t.Fatal(err)
	}
	old := lic.CheckoutID()
	px.SetMode(proxySilent)
	waitFor(t, patience, "the server to reclaim the license", func() bool {
		n, _, _ := usage(t, srv.Addr, "cad_pro")
		return n == 0
	})
	px.SetMode(proxyPass)
	waitFor(t, patience, "the client to check the license out again", func() bool {
		n, _, _ := usage(t, srv.Addr, "cad_pro")
		return n == 1 && lic.CheckoutID() != old
	})
	select {
	case <-lic.Lost():
		t.Fatalf("license lost: %v", lic.Err())
	default:
	}
	wantOneThenNone(t, ctx, c, ex, srv, peak)
}

// TestHeartbeatsGiveUp stops the server: after exactly HeartbeatAttempts
// failed heartbeats, OnExit hears why, once.
func TestHeartbeatsGiveUp(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{HeartbeatInterval: 50 * time.Millisecond, Lease: time.Second})
	px := startProxy(t, srv.Addr)
	ctx := testCtx(t)
	const attempts = 4
	c, ex := newClient(t, licenses.Options{Servers: []string{px.Addr()}, AutoHeartbeat: true,
		HeartbeatAttempts: attempts})
	if _, err := c.Checkout(ctx, "cad_pro", ""); err != nil {
		t.Fatal(err)
	}
	px.SetMode(proxyReset)
	before := px.Accepted()
	select {
	case <-ex.exited:
	case <-time.After(patience):
		t.Fatal("OnExit not called")
	}
	if n := px.Accepted() - before; n != attempts {
		t.Errorf("%d heartbeats tried before OnExit, want %d", n, attempts)
	}
	time.Sleep(200 * time.Millisecond) // four more intervals: nothing more happens
	reasons := ex.Reasons()
	if len(reasons) != 1 {
		t.Fatalf("OnExit called %d times: %v", len(reasons), reasons)
	}
	wantCode(t, reasons[0], licenses.CodeHeartbeatsFailed)
	if n := px.Accepted() - before; n != attempts {
		t.Errorf("heartbeats went on after OnExit: %d tries", n)
	}
}

// TestHeartbeatsFailOver exhausts the attempts on the first server and then
// carries on with the second (both serve the same session, as HAL nodes do;
// here the "second" is another way to the same server).
func TestHeartbeatsFailOver(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{HeartbeatInterval: 50 * time.Millisecond, Lease: 2 * time.Second})
	first, second := startProxy(t, srv.Addr), startProxy(t, srv.Addr)
	ctx := testCtx(t)
	c, ex := newClient(t, licenses.Options{Servers: []string{first.Addr(), second.Addr()}, AutoHeartbeat: true,
		HeartbeatAttempts: 3})
	lic, err := c.Checkout(ctx, "cad_pro", "")
	if err != nil {
		t.Fatal(err)
	}
	if lic.Server() != first.Addr() {
		t.Fatalf("served by %s, want the first server", lic.Server())
	}
	before := first.Accepted()
	first.SetMode(proxyReset)
	waitFor(t, patience, "heartbeats to move to the second server", func() bool { return lic.Server() == second.Addr() })
	// Only the license's own server was tried until the attempts ran out.
	if n := first.Accepted() - before; n != 3 {
		t.Errorf("first server saw %d heartbeats before the failover, want 3", n)
	}
	if n := second.Accepted(); n < 1 {
		t.Errorf("second server saw %d connections", n)
	}
	wantInUse(t, srv, "cad_pro", 1)
	if r := ex.Reasons(); len(r) != 0 {
		t.Errorf("OnExit called: %v", r)
	}
}

// TestServerRestartWithinAttempts restarts the server while heartbeats
// fail: the checkouts survive the restart, the client notices the new
// instance and checks out again with the same request ids — still one
// license, no exit.
func TestServerRestartWithinAttempts(t *testing.T) {
	t.Parallel()
	// The lease is long and the attempts many: what is tested is the
	// restart, not how fast the machine brings the server back.
	srv := servertest.Start(t, servertest.Options{HeartbeatInterval: 50 * time.Millisecond, Lease: time.Minute})
	px := startProxy(t, srv.Addr) // counts the heartbeats that fail while the server is down
	ctx := testCtx(t)
	c, ex := newClient(t, licenses.Options{Servers: []string{px.Addr()}, AutoHeartbeat: true, HeartbeatAttempts: 200})
	lic, err := c.Checkout(ctx, "solver", "")
	if err != nil {
		t.Fatal(err)
	}
	id := lic.CheckoutID()
	before := px.Accepted()
	srv.Stop()
	waitFor(t, patience, "two failed heartbeats", func() bool { return px.Accepted() >= before+2 })
	srv.Start()
	wantInUse(t, srv, "solver", 1)
	waitHeartbeats(t, srv, lic, 2) // on the new instance
	wantInUse(t, srv, "solver", 1)
	if lic.CheckoutID() != id {
		t.Errorf("checkout id %s after the restart, want %s", lic.CheckoutID(), id)
	}
	srv.Restart() // between heartbeats this time
	waitHeartbeats(t, srv, lic, 2)
	wantInUse(t, srv, "solver", 1)
	if r := ex.Reasons(); len(r) != 0 {
		t.Errorf("OnExit called: %v", r)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wantInUse(t, srv, "solver", 0)
}

// TestLicenseLostAfterRestart: while the client is cut off its lease runs
// out, another client takes every license, and the re-checkout is refused:
// OnLost and License.Lost say so.
func TestLicenseLostAfterLeaseRanOut(t *testing.T) {
	t.Parallel()
	// The server's clock moves only when the test says: ann's lease runs
	// out when the test moves it, and bob's never does.
	const lease = 300 * time.Millisecond
	srv := servertest.Start(t, servertest.Options{Clock: clock.NewFake(epoch), HeartbeatInterval: 50 * time.Millisecond, Lease: lease})
	px := startProxy(t, srv.Addr)
	ctx := testCtx(t)
	c, ex := newClient(t, licenses.Options{Servers: []string{px.Addr()}, AutoHeartbeat: true,
		HeartbeatAttempts: 1000, RequestTimeout: 100 * time.Millisecond})
	lic, err := c.Checkout(ctx, "solver", "")
	if err != nil {
		t.Fatal(err)
	}
	px.SetMode(proxyReset)
	srv.Clock.Advance(lease + time.Millisecond)
	waitFor(t, patience, "the lease to run out", func() bool {
		n, _, _ := usage(t, srv.Addr, "solver")
		return n == 0
	})
	other, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, User: "bob", AutoHeartbeat: true})
	for range 2 {
		if _, err := other.Checkout(ctx, "solver", ""); err != nil {
			t.Fatal(err)
		}
	}
	px.SetMode(proxyPass)
	select {
	case <-lic.Lost():
	case <-time.After(patience):
		t.Fatal("license not reported lost")
	}
	wantCode(t, lic.Err(), licenses.CodeCountExhausted)
	waitFor(t, patience, "OnLost", func() bool { f, _ := ex.Lost(); return len(f) == 1 })
	features, errs := ex.Lost()
	if features[0] != "solver" || !licenses.IsCode(errs[0], licenses.CodeCountExhausted) {
		t.Errorf("OnLost(%s, %v)", features[0], errs[0])
	}
	wantInUse(t, srv, "solver", 2)
}

// TestTooManyRestarts is the anti-overuse counter: a second restart within
// the hour is one too many; restarts an hour apart are not.
func TestTooManyRestarts(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{HeartbeatInterval: 30 * time.Millisecond, Lease: 2 * time.Second})
	ctx := testCtx(t)
	fake := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	c, ex := newClient(t, licenses.Options{Servers: []string{srv.Addr}, AutoHeartbeat: true,
		MaxRestartsPerHour: 1, Clock: fake})
	lic, err := c.Checkout(ctx, "cad_pro", "")
	if err != nil {
		t.Fatal(err)
	}
	restartSeen := func() {
		id := srv.Server().Instance()
		before := time.Now()
		srv.Restart()
		if srv.Server().Instance() == id {
			t.Fatal("restart kept the instance id")
		}
		waitFor(t, patience, "a heartbeat after the restart", func() bool { return heartbeatAfter(srv, lic.CheckoutID(), before) })
		// The client counts the restart when the reply comes back, which
		// can be after the server saw the heartbeat; its next heartbeat
		// comes after that, so the clock may move on.
		first := lastHeartbeat(srv, lic.CheckoutID())
		waitFor(t, patience, "a second heartbeat after the restart", func() bool { return heartbeatAfter(srv, lic.CheckoutID(), first) })
	}
	restartSeen()
	fake.Advance(61 * time.Minute)
	restartSeen()
	time.Sleep(100 * time.Millisecond)
	if r := ex.Reasons(); len(r) != 0 {
		t.Fatalf("OnExit called for restarts an hour apart: %v", r)
	}
	fake.Advance(10 * time.Minute)
	srv.Restart()
	select {
	case <-ex.exited:
	case <-time.After(patience):
		t.Fatal("OnExit not called after two restarts within an hour")
	}
	wantCode(t, ex.Reasons()[0], licenses.CodeTooManyRestarts)
}

// waitHeartbeats waits until the server, on the real clock, has seen n
// more heartbeats for lic, one after the other.
func waitHeartbeats(t *testing.T, srv *servertest.Server, lic *licenses.License, n int) {
	t.Helper()
	since := time.Now()
	for i := range n {
		waitFor(t, patience, fmt.Sprintf("heartbeat %d of %d", i+1, n), func() bool { return heartbeatAfter(srv, lic.CheckoutID(), since) })
		since = lastHeartbeat(srv, lic.CheckoutID())
	}
}

// heartbeatAfter reports whether the server saw a heartbeat for checkout id
// after t.
func heartbeatAfter(srv *servertest.Server, id string, t time.Time) bool {
	return lastHeartbeat(srv, id).After(t)
}

// lastHeartbeat is when the server last saw a heartbeat for checkout id, or
// zero.
func lastHeartbeat(srv *servertest.Server, id string) time.Time {
	st, err := licenses.FetchStatus(context.Background(), srv.Addr, nil)
	if err != nil {
		return time.Time{}
	}
	for _, co := range st.Checkouts {
		if co.ID == id {
			return co.LastHeartbeat
		}
	}
	return time.Time{}
}

// wantOneThenNone closes the client and checks the end of a cut: cad_pro
// was never in use more than once, none is after Close, and automatic
// heartbeats never gave up.
func wantOneThenNone(t *testing.T, ctx context.Context, c *licenses.Client, ex *exits, srv *servertest.Server, peak func() int) {
	t.Helper()
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wantInUse(t, srv, "cad_pro", 0)
	if p := peak(); p != 1 {
		t.Errorf("peak in use = %d, want 1", p)
	}
	if r := ex.Reasons(); len(r) != 0 {
		t.Errorf("OnExit called: %v", r)
	}
}
