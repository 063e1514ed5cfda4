package server_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

// TestTokensChainToVendor checks that the grace and borrow tokens of the
// demo license verify with the vendor's key alone (VerifyChain), not with
// what the reply says the server key is.
func TestTokensChainToVendor(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Clock: clock.NewFake(epoch)})
	vendor, err := licfile.ReadPublicKey(s.Files.VendorPub)
	if err != nil {
		t.Fatal(err)
	}
	co, werr := checkout(t, s.Addr, newClient("ann"), "r", "cad_pro")
	if werr != nil {
		t.Fatal(werr)
	}
	var br wire.BorrowReply
	if _, werr := post(t, s.Addr, wire.PathBorrow, wire.BorrowRequest{Client: newClient("ann"), RequestID: "b",
		Feature: "cad_pro", Hours: 72}, &br); werr != nil {
		t.Fatal(werr)
	}
	for kind, tok := range map[string]string{token.KindGrace: co.GraceToken, token.KindBorrow: br.Token} {
		tk, ft, err := token.VerifyChain(vendor, tok)
		if err != nil {
			t.Fatalf("%s token: %v", kind, err)
		}
		if tk.Kind != kind || ft.Name != "cad_pro" || !slices.Equal(ft.TokenKey, []string{s.Files.TokenKey}) {
			t.Errorf("%s token %+v carries feature %+v", kind, tk, ft)
		}
	}
}

// TestTokensRefusedWithoutTokenKey serves licenses that name no TOKEN_KEY
// or another server's: borrow is refused before a license leaves the pool,
// checkouts carry no grace token, and the start log says why.
func TestTokensRefusedWithoutTokenKey(t *testing.T) {
	_, other, _ := ed25519.GenerateKey(nil)
	otherKey := base64.StdEncoding.EncodeToString(other.Public().(ed25519.PublicKey))
	tests := []struct {
		name, tokenKey, want string
	}{
		{"no TOKEN_KEY", "", "names no TOKEN_KEY"},
		{"another server's key", "TOKEN_KEY = " + otherKey, "names TOKEN_KEY " + otherKey + ", but this server's token key is "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := bytes.ReplaceAll(demo.Template, []byte("TOKEN_KEY = "+demo.TokenKeyPlaceholder), []byte(tt.tokenKey))
			var log logBuffer
			s := servertest.Start(t, servertest.Options{Template: tmpl, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			_, werr := post(t, s.Addr, wire.PathBorrow, wire.BorrowRequest{Client: newClient("ann"), RequestID: "b",
				Feature: "solver", Hours: 1}, nil)
			if werr == nil || werr.Code != wire.CodeBorrowNotAllowed || !strings.Contains(werr.Message, tt.want) ||
				!strings.Contains(werr.Message, s.Files.TokenKey) {
				t.Fatalf("borrow: %v, want borrow_not_allowed saying %q and naming the server's key", werr, tt.want)
			}
			if _, b := inUse(t, s.Addr, "solver"); b != 0 {
				t.Errorf("%d borrowed after the refusal, want 0", b)
			}
			co, werr := checkout(t, s.Addr, newClient("ann"), "r", "cad_pro")
			if werr != nil || co.GraceToken != "" {
				t.Errorf("checkout: %v, grace token %q; want a checkout without a grace token", werr, co.GraceToken)
			}
			for _, f := range []string{"feature=cad_pro", "feature=solver"} {
				if !strings.Contains(log.String(), f) || !strings.Contains(log.String(), tt.want) {
					t.Errorf("start log does not warn about %s: %s", f, log.String())
				}
			}
		})
	}
}
