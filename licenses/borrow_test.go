package licenses_test

import (
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clientstate/clientstatetest"
	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/licenses"
)

func borrowSetup(t *testing.T) (*servertest.Server, *clock.Fake, string, *licenses.Client) {
	t.Helper()
	fake := clock.NewFake(epoch)
	srv := servertest.Start(t, servertest.Options{Clock: fake})
	dir := t.TempDir()
	c, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, Clock: fake, StateDir: dir, VendorKey: vendorKey(t, srv)})
	return srv, fake, dir, c
}

// TestBorrowOffline borrows a license, loses the server, and still checks
// the feature out — from the borrow, with no server call — until it is
// returned.
func TestBorrowOffline(t *testing.T) {
	t.Parallel()
	srv, _, dir, c := borrowSetup(t)
	ctx := testCtx(t)
	b, err := c.Borrow(ctx, "solver", "3.0", 10)
	if err != nil {
		t.Fatal(err)
	}
	if b.Feature != "solver" || b.Version != "3.1" || b.User != "ann" || b.Host != "ws1" ||
		!b.Expires.Equal(epoch.Add(10*time.Hour)) || b.BorrowID == "" || b.Server != srv.Addr {
		t.Errorf("borrow = %+v", b)
	}
	if used, borrowed, _ := usage(t, srv.Addr, "solver"); used != 0 || borrowed != 1 {
		t.Errorf("server: %d in use, %d borrowed; want 0 and 1", used, borrowed)
	}
	srv.Stop()
	for range 3 { // no second license however often the application starts
		lic, err := c.Checkout(ctx, "solver", "3.1")
		if err != nil {
			t.Fatal(err)
		}
		if !lic.IsBorrowed() || !lic.Expires().Equal(b.Expires) || lic.CheckoutID() != b.BorrowID {
			t.Fatalf("license: source %s expires %s", lic.Source(), lic.Expires())
		}
		if err := lic.Checkin(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Another process of the same user sees the borrow too.
	other, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, Clock: srv.Clock, StateDir: dir, VendorKey: vendorKey(t, srv)})
	if lic, err := other.Checkout(ctx, "solver", ""); err != nil || !lic.IsBorrowed() {
		t.Fatalf("checkout by another client: %v", err)
	}
	list, err := c.Borrows()
	if err != nil || len(list) != 1 || list[0].BorrowID != b.BorrowID {
		t.Fatalf("Borrows() = %+v, %v", list, err)
	}

	// Return needs the server.
	wantCode(t, c.Return(ctx, "solver"), licenses.CodeNoServer)
	srv.Start()
	wantInUse(t, srv, "solver", 0) // the checkouts above never reached it
	if err := c.Return(ctx, "solver"); err != nil {
		t.Fatal(err)
	}
	if _, borrowed, _ := usage(t, srv.Addr, "solver"); borrowed != 0 {
		t.Errorf("server still counts %d borrowed after the return", borrowed)
	}
	if list, _ := c.Borrows(); len(list) != 0 {
		t.Errorf("Borrows() after the return = %+v", list)
	}
	wantCode(t, c.Return(ctx, "solver"), licenses.CodeUnknownBorrow)
	srv.Stop()
	_, err = c.Checkout(ctx, "solver", "")
	wantCode(t, err, licenses.CodeNoServer)
}

func TestBorrowExpires(t *testing.T) {
	t.Parallel()
	srv, fake, _, c := borrowSetup(t)
	ctx := testCtx(t)
	if _, err := c.Borrow(ctx, "cad_pro", "", 2); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	fake.Advance(2*time.Hour - time.Second)
	if lic, err := c.Checkout(ctx, "cad_pro", ""); err != nil || !lic.IsBorrowed() {
		t.Fatalf("checkout a second before the borrow ends: %v", err)
	}
	fake.Advance(time.Second)
	_, err := c.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeNoServer)
	if list, _ := c.Borrows(); len(list) != 0 {
		t.Errorf("Borrows() lists an expired borrow: %+v", list)
	}
	srv.Start()
	waitFor(t, patience, "the server to end the borrow", func() bool {
		_, borrowed, _ := usage(t, srv.Addr, "cad_pro")
		return borrowed == 0
	})
	// The feature may be borrowed again.
	if _, err := c.Borrow(ctx, "cad_pro", "", 1); err != nil {
		t.Fatal(err)
	}
}

func TestBorrowRefusals(t *testing.T) {
	t.Parallel()
	srv, _, _, c := borrowSetup(t)
	ctx := testCtx(t)
	tests := []struct {
		name, feature string
		hours         int
		code          string
	}{
		{"longer than BORROW", "solver", 25, licenses.CodeBorrowTooLong},
		{"no BORROW", "cad_view", 1, licenses.CodeBorrowNotAllowed},
		{"unknown", "nope", 1, licenses.CodeUnknownFeature},
		{"no hours", "solver", 0, "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Borrow(ctx, tt.feature, "", tt.hours)
			wantCode(t, err, tt.code)
		})
	}
	if _, err := c.Borrow(ctx, "solver", "", 24); err != nil {
		t.Fatalf("borrow of exactly BORROW hours: %v", err)
	}
	_, err := c.Borrow(ctx, "solver", "", 1)
	wantCode(t, err, "bad_request") // borrowed already
	bob, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, User: "bob", Clock: srv.Clock, VendorKey: vendorKey(t, srv)})
	if _, err := bob.Borrow(ctx, "solver", "", 1); err != nil {
		t.Fatal(err)
	}
	_, err = bob.Checkout(ctx, "solver", "")
	if err != nil {
		t.Fatalf("bob's checkout is served by his borrow: %v", err)
	}
	carol, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, User: "carol", Clock: srv.Clock})
	_, err = carol.Checkout(ctx, "solver", "")
	wantCode(t, err, licenses.CodeCountExhausted)
}

func TestBorrowTamperedToken(t *testing.T) {
	t.Parallel()
	edits := map[string]func(map[string]any){
		"later expiry": func(p map[string]any) { p["expires"] = epoch.Add(1000 * time.Hour).Format(time.RFC3339) },
		"another host": func(p map[string]any) { p["host"] = "ws9" },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			srv, _, dir, c := borrowSetup(t)
			ctx := testCtx(t)
			if _, err := c.Borrow(ctx, "cad_pro", "", 4); err != nil {
				t.Fatal(err)
			}
			clientstatetest.Edit(t, dir, "borrows", edit)
			srv.Stop()
			_, err := c.Checkout(ctx, "cad_pro", "")
			wantCode(t, err, licenses.CodeTokenInvalid)
			if list, _ := c.Borrows(); len(list) != 0 {
				t.Errorf("Borrows() lists a tampered borrow: %+v", list)
			}
		})
	}
}

func TestBorrowClockWindback(t *testing.T) {
	t.Parallel()
	srv, fake, _, c := borrowSetup(t)
	ctx := testCtx(t)
	if _, err := c.Borrow(ctx, "cad_pro", "", 4); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	fake.Advance(5 * time.Hour) // past the expiry...
	_, err := c.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeNoServer)
	srv.Start()
	if _, err := c.Borrow(ctx, "cad_pro", "", 4); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	fake.Advance(-2 * time.Hour) // ...and back, to run on a borrow longer
	_, err = c.Checkout(ctx, "cad_pro", "")
	wantCode(t, err, licenses.CodeClockWindback)
	_, err = c.Borrow(ctx, "solver", "", 1)
	wantCode(t, err, licenses.CodeClockWindback)
}
