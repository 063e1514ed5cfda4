package licenses_test

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clientstate/clientstatetest"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/licenses"
)

// forgery is one way a user may try to stretch a stored token.
type forgery struct {
	name   string
	server bool // sign with the server's real token key (stolen, say) instead of the user's own
	edit   func(t *testing.T, p map[string]any)
}

var yearLater = epoch.Add(365 * 24 * time.Hour).Format(time.RFC3339)

// borrowForgeries and graceForgeries are the attacks of issue 17 and the
// ones the fix has to stop next: a feature block edited to allow more, or
// signed by a vendor key the user made.
var borrowForgeries = []forgery{
	{"re-signed for a year with the user's key", false, func(t *testing.T, p map[string]any) { p["expires"] = yearLater }},
	{"block edited to BORROW 8760, server key", true, func(t *testing.T, p map[string]any) {
		p["license"] = strings.Replace(p["license"].(string), "BORROW = 72", "BORROW = 8760", 1)
		p["expires"] = yearLater
	}},
	{"block signed by the user's vendor key, server key", true, func(t *testing.T, p map[string]any) {
		p["license"] = ownVendorBlock(t, p["license"].(string), "BORROW = 72", "BORROW = 8760")
		p["expires"] = yearLater
	}},
	{"longer than BORROW, server key", true, func(t *testing.T, p map[string]any) { p["expires"] = yearLater }},
}

var graceForgeries = []forgery{
	{"re-signed for 168 hours with the user's key", false, func(t *testing.T, p map[string]any) { p["grace_hours"] = 168 }},
	{"block edited to GRACE 168, server key", true, func(t *testing.T, p map[string]any) {
		p["license"] = strings.Replace(p["license"].(string), "GRACE = 48", "GRACE = 168", 1)
		p["grace_hours"] = 168
	}},
	{"block signed by the user's vendor key, server key", true, func(t *testing.T, p map[string]any) {
		p["license"] = ownVendorBlock(t, p["license"].(string), "GRACE = 48", "GRACE = 168")
		p["grace_hours"] = 168
	}},
	{"longer than GRACE, server key", true, func(t *testing.T, p map[string]any) { p["grace_hours"] = 168 }},
}

// ownVendorBlock edits a license block and signs it with a vendor key the
// user made: it still names the server's real TOKEN_KEY.
func ownVendorBlock(t *testing.T, block, old, new string) string {
	t.Helper()
	_, vendor, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := licfile.Sign("forged", []byte(strings.Replace(block, old, new, 1)), vendor)
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func serverKey(t *testing.T, srv *servertest.Server) ed25519.PrivateKey {
	t.Helper()
	k, err := licfile.ReadPrivateKey(token.KeyPrefix(srv.DataDir) + ".key")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestForgedBorrowRefused forges the stored borrow token: never used
// (online the checkout comes from the server's pool instead), refused with
// token_invalid offline, and never listed.
func TestForgedBorrowRefused(t *testing.T) {
	t.Parallel()
	for _, f := range borrowForgeries {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			srv, _, dir, c := borrowSetup(t)
			ctx := testCtx(t)
			if _, err := c.Borrow(ctx, "cad_pro", "", 4); err != nil {
				t.Fatal(err)
			}
			var key ed25519.PrivateKey
			if f.server {
				key = serverKey(t, srv)
			}
			clientstatetest.Forge(t, dir, "borrows", key, func(p map[string]any) { f.edit(t, p) })
			lic, err := c.Checkout(ctx, "cad_pro", "")
			if err != nil || lic.Source() != licenses.FromServer {
				t.Fatalf("online checkout: %v, want one from the server, not the forged borrow", err)
			}
			if err := lic.Checkin(ctx); err != nil {
				t.Fatal(err)
			}
			srv.Stop()
			_, err = c.Checkout(ctx, "cad_pro", "")
			wantCode(t, err, licenses.CodeTokenInvalid)
			if list, _ := c.Borrows(); len(list) != 0 {
				t.Errorf("Borrows() lists a forged borrow: %+v", list)
			}
		})
	}
}

// TestForgedGraceRefused forges the stored grace token: refused with
// token_invalid when no server answers, and not shown as grace.
func TestForgedGraceRefused(t *testing.T) {
	t.Parallel()
	for _, f := range graceForgeries {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			srv, _, dir, c := graceSetup(t)
			ctx := testCtx(t)
			lic, err := c.Checkout(ctx, "cad_pro", "")
			if err != nil {
				t.Fatal(err)
			}
			if err := lic.Checkin(ctx); err != nil {
				t.Fatal(err)
			}
			var key ed25519.PrivateKey
			if f.server {
				key = serverKey(t, srv)
			}
			clientstatetest.Forge(t, dir, "graces", key, func(p map[string]any) { f.edit(t, p) })
			wantGrace(t, c, "cad_pro", licenses.GraceNone)
			srv.Stop()
			_, err = c.Checkout(ctx, "cad_pro", "")
			wantCode(t, err, licenses.CodeTokenInvalid)
		})
	}
}

// TestNoVendorKey: a client without the vendor's key cannot trust a token,
// so it borrows nothing (before a license leaves the pool), keeps no grace
// token, and refuses a stored borrow offline, saying how to set the key.
func TestNoVendorKey(t *testing.T) {
	t.Parallel()
	srv, fake, dir, c := borrowSetup(t)
	ctx := testCtx(t)
	if _, err := c.Borrow(ctx, "solver", "", 4); err != nil {
		t.Fatal(err)
	}
	bare, _ := newClient(t, licenses.Options{Servers: []string{srv.Addr}, Clock: fake, StateDir: dir, AllowGrace: true})
	_, err := bare.Borrow(ctx, "cad_pro", "", 4)
	wantCode(t, err, licenses.CodeTokenInvalid)
	if _, borrowed, _ := usage(t, srv.Addr, "cad_pro"); borrowed != 0 {
		t.Errorf("%d of cad_pro borrowed by a client that cannot trust the token", borrowed)
	}
	if _, err := bare.Checkout(ctx, "cad_pro", ""); err != nil {
		t.Fatal(err)
	}
	wantGrace(t, bare, "cad_pro", licenses.GraceNone)
	srv.Stop()
	_, err = bare.Checkout(ctx, "solver", "")
	wantCode(t, err, licenses.CodeTokenInvalid)
	if !strings.Contains(err.Error(), "VendorKey") || !strings.Contains(err.Error(), "LIC_VENDOR_PUB") {
		t.Errorf("error does not say how to configure the key: %v", err)
	}
	if lic, err := c.Checkout(ctx, "solver", ""); err != nil || !lic.IsBorrowed() {
		t.Fatalf("the same borrow with the vendor key: %v", err)
	}
}

func TestVendorKeyOption(t *testing.T) {
	t.Parallel()
	if _, err := licenses.New(licenses.Options{VendorKey: make(ed25519.PublicKey, 5)}); err == nil {
		t.Error("New accepted a 5-byte vendor key")
	}
	if _, err := licenses.ParseVendorKey("not a key"); err == nil {
		t.Error("ParseVendorKey accepted garbage")
	}
}
