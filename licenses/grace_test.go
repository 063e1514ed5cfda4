package licenses_test

import (
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clientstate/clientstatetest"
	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/licenses"
)

var epoch = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// graceSetup starts a server on a fake clock and a client for ann that
// allows grace, sharing the clock and a state dir.
func graceSetup(t *testing.T) (*servertest.Server, *clock.Fake, string, *licenses.Client) {
	t.Helper()
	fake := clock.NewFake(epoch)
	srv := servertest.Start(t, servertest.Options{Clock: fake})
	dir := t.TempDir()
	c, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, AllowGrace: true, Clock: fake, StateDir: dir,
		VendorKey: vendorKey(t, srv)})
	return srv, fake, dir, c
}

func wantGrace(t *testing.T, c *licenses.Client, feature, state string) licenses.GraceState {
	t.Helper()
	gs, err := c.Grace(feature)
	if err != nil {
		t.Fatal(err)
	}
	if gs.State != state {
		t.Fatalf("grace state of %s = %s, want %s (%+v)", feature, gs.State, state, gs)
	}
	return gs
}

// TestGraceLifecycle walks LM-X's grace rules on a fake clock: a stored
// token is activated when the server is down, keeps its expiry when the
// server returns, expires after GRACE hours, and is followed by 7 days
// without grace.
func TestGraceLifecycle(t *testing.T) {
	t.Parallel()
	srv, fake, _, c := graceSetup(t)
	ctx := testCtx(t)

	wantGrace(t, c, "cad_pro", licenses.GraceNone)
	lic, err := c.Checkout(ctx, "cad_pro", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := lic.Checkin(ctx); err != nil {
		t.Fatal(err)
	}
	gs := wantGrace(t, c, "cad_pro", licenses.GraceInactive)
	if gs.Hours != 48 || gs.Version != "2.0" || !gs.Expires.IsZero() {
		t.Errorf("inactive grace = %+v", gs)
	}

	// Server down: the token is activated for 48 hours.
	srv.Stop()
	fake.Advance(time.Hour)
	lic, err = c.Checkout(ctx, "cad_pro", "2.0")
	if err != nil {
		t.Fatal(err)
	}
	expires := epoch.Add(49 * time.Hour)
	if !lic.IsGrace() || !lic.Expires().Equal(expires) || lic.Version() != "2.0" {
		t.Fatalf("grace license: source %s expires %s, want grace until %s", lic.Source(), lic.Expires(), expires)
	}
	gs = wantGrace(t, c, "cad_pro", licenses.GraceActive)
	if !gs.Expires.Equal(expires) || !gs.Activated.Equal(epoch.Add(time.Hour)) {
		t.Errorf("active grace = %+v", gs)
	}
	if _, err := c.Checkout(ctx, "cad_view", ""); !licenses.IsCode(err, licenses.CodeNoServer) {
		t.Errorf("cad_view (no GRACE) with the server down = %v, want no_server", err)
	}

	// Server back: checkouts go to it, the grace use is reported, and the
	// expiry stays.
	srv.Start()
	fake.Advance(time.Hour)
	lic, err = c.Checkout(ctx, "cad_pro", "")
	if err != nil || lic.Source() != licenses.FromServer {
		t.Fatalf("checkout with the server back: %v, source %v", err, lic)
	}
	st, err := licenses.FetchStatus(ctx, srv.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Graces) != 1 || st.Graces[0].User != "ann" || st.Graces[0].Feature != "cad_pro" ||
		!st.Graces[0].Expires.Equal(expires) {
		t.Errorf("server graces = %+v, want ann's cad_pro until %s", st.Graces, expires)
	}
	if _, _, g := usage(t, srv.Addr, "cad_pro"); g != 1 {
		t.Errorf("server counts %d grace licenses of cad_pro, want 1", g)
	}
	if err := lic.Checkin(ctx); err != nil {
		t.Fatal(err)
	}
	if gs := wantGrace(t, c, "cad_pro", licenses.GraceActive); !gs.Expires.Equal(expires) {
		t.Errorf("grace expiry reset to %s by the server's return, want %s", gs.Expires, expires)
	}

	// Down again within the period: the same grace, the same expiry.
	srv.Stop()
	fake.Advance(10 * time.Hour)
	lic, err = c.Checkout(ctx, "cad_pro", "")
	if err != nil || !lic.IsGrace() || !lic.Expires().Equal(expires) {
		t.Fatalf("second grace checkout: %v, license %+v", err, lic)
	}

	// Past the expiry: cooldown for 7 days.
	fake.Set(expires)
	_, err = c.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeGraceCooldown)
	gs = wantGrace(t, c, "cad_pro", licenses.GraceCooldown)
	if until := expires.Add(7 * 24 * time.Hour); !gs.CooldownUntil.Equal(until) {
		t.Errorf("cooldown until %s, want %s", gs.CooldownUntil, until)
	}

	// The server gives a new token during the cooldown: still no grace.
	srv.Start()
	if lic, err = c.Checkout(ctx, "cad_pro", ""); err != nil {
		t.Fatal(err)
	}
	_ = lic.Checkin(ctx)
	srv.Stop()
	fake.Advance(6 * 24 * time.Hour)
	_, err = c.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeGraceCooldown)

	// Seven days after the expiry grace may start again.
	fake.Set(expires.Add(7*24*time.Hour + time.Minute))
	wantGrace(t, c, "cad_pro", licenses.GraceInactive)
	lic, err = c.Checkout(ctx, "cad_pro", "")
	if err != nil || !lic.IsGrace() {
		t.Fatalf("grace after the cooldown: %v", err)
	}
	if want := fake.Now().Add(48 * time.Hour); !lic.Expires().Equal(want) {
		t.Errorf("new grace expires %s, want %s", lic.Expires(), want)
	}
}

func TestGraceOffByDefault(t *testing.T) {
	t.Parallel()
	fake := clock.NewFake(epoch)
	srv := servertest.Start(t, servertest.Options{Clock: fake})
	ctx := testCtx(t)
	c, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, Clock: fake, VendorKey: vendorKey(t, srv)})
	if _, err := c.Checkout(ctx, "cad_pro", ""); err != nil {
		t.Fatal(err)
	}
	wantGrace(t, c, "cad_pro", licenses.GraceNone) // no token kept without AllowGrace
	srv.Stop()
	_, err := c.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeNoServer)
}

func TestGraceVersionTooHigh(t *testing.T) {
	t.Parallel()
	srv, _, _, c := graceSetup(t)
	ctx := testCtx(t)
	if _, err := c.Checkout(ctx, "cad_pro", ""); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	_, err := c.Checkout(ctx, "cad_pro", "3.0")
	wantCode(t, err, licenses.CodeVersionTooHigh)
	wantGrace(t, c, "cad_pro", licenses.GraceInactive) // not activated by a refused checkout
}

// TestGraceNeedsItsServer: an address that never answered (a typo) is no
// outage. Grace starts only when a server that issued the token cannot be
// reached; a typo fails with no_server naming both addresses and leaves the
// token unused, with no cooldown to pay for it.
func TestGraceNeedsItsServer(t *testing.T) {
	t.Parallel()
	srv, fake, dir, c := graceSetup(t)
	ctx := testCtx(t)
	if _, err := c.Checkout(ctx, "cad_pro", ""); err != nil {
		t.Fatal(err)
	}
	typo := deadAddr(t)
	typoed, _ := newClient(t, licenses.Options{Servers: []string{typo}, AllowGrace: true, Clock: fake,
		StateDir: dir, VendorKey: vendorKey(t, srv)})
	_, err := typoed.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeNoServer)
	want := "grace not started: the grace license of cad_pro came from " + srv.Addr + ", not tried here; is " + typo + " the right address?"
	if !strings.Contains(err.Error(), typo+": connection refused") || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %q\nwant the refused address and %q", err, want)
	}
	wantGrace(t, typoed, "cad_pro", licenses.GraceInactive)

	// The same user with the right address and its server down: grace.
	srv.Stop()
	if lic, err := c.Checkout(ctx, "cad_pro", ""); err != nil || !lic.IsGrace() {
		t.Fatalf("grace with the issuing server down: %v", err)
	}
}

// TestGraceIsPerUser shares one state dir between ann and bob: bob gets no
// grace from ann's token.
func TestGraceIsPerUser(t *testing.T) {
	t.Parallel()
	srv, fake, dir, ann := graceSetup(t)
	ctx := testCtx(t)
	if _, err := ann.Checkout(ctx, "cad_pro", ""); err != nil {
		t.Fatal(err)
	}
	bob, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, AllowGrace: true, Clock: fake,
		StateDir: dir, User: "bob"})
	wantGrace(t, bob, "cad_pro", licenses.GraceNone)
	srv.Stop()
	_, err := bob.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeNoServer)
	if !strings.Contains(err.Error(), "no grace license") {
		t.Errorf("error %q does not say there is no grace license", err)
	}
	if lic, err := ann.Checkout(ctx, "cad_pro", ""); err != nil || !lic.IsGrace() {
		t.Fatalf("ann's grace: %v", err)
	}
}

// TestGraceTamperedToken edits the stored token by hand (a longer grace,
// another user): it no longer verifies and grace is refused.
func TestGraceTamperedToken(t *testing.T) {
	t.Parallel()
	edits := map[string]func(map[string]any){
		"longer grace": func(p map[string]any) { p["grace_hours"] = 168 },
		"another user": func(p map[string]any) { p["user"] = "bob" },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			srv, _, dir, c := graceSetup(t)
			ctx := testCtx(t)
			if _, err := c.Checkout(ctx, "cad_pro", ""); err != nil {
				t.Fatal(err)
			}
			clientstatetest.Edit(t, dir, "graces", edit)
			srv.Stop()
			_, err := c.Checkout(ctx, "cad_pro", "")
			wantCode(t, err, licenses.CodeTokenInvalid)
		})
	}
}

// TestGraceClockWindback sets the clock back by an hour: grace refuses.
func TestGraceClockWindback(t *testing.T) {
	t.Parallel()
	srv, fake, _, c := graceSetup(t)
	ctx := testCtx(t)
	if _, err := c.Checkout(ctx, "cad_pro", ""); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	fake.Advance(-time.Hour)
	_, err := c.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeClockWindback)
	wantGrace(t, c, "cad_pro", licenses.GraceInactive)
	fake.Advance(time.Hour + time.Minute) // the clock is right again
	if lic, err := c.Checkout(ctx, "cad_pro", ""); err != nil || !lic.IsGrace() {
		t.Fatalf("grace with the clock right again: %v", err)
	}
}

func TestGraces(t *testing.T) {
	t.Parallel()
	srv, _, _, c := graceSetup(t)
	ctx := testCtx(t)
	for _, f := range []string{"cad_pro", "solver", "cad_view"} {
		if _, err := c.Checkout(ctx, f, ""); err != nil {
			t.Fatal(err)
		}
	}
	srv.Stop()
	if _, err := c.Checkout(ctx, "cad_pro", ""); err != nil {
		t.Fatal(err)
	}
	gs, err := c.Graces()
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 1 || gs[0].Feature != "cad_pro" || gs[0].State != licenses.GraceActive {
		t.Errorf("Graces() = %+v, want only cad_pro (the one feature with GRACE), active", gs)
	}
}
