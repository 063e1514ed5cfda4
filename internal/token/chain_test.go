package token

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/licfile"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signedBlock signs template with vendor and returns feature f as Format
// writes it.
func signedBlock(t *testing.T, vendor ed25519.PrivateKey, template string) string {
	t.Helper()
	signed, err := licfile.Sign("t.tmpl", []byte(template), vendor)
	if err != nil {
		t.Fatal(err)
	}
	f, err := licfile.Parse("t.lic", signed)
	if err != nil {
		t.Fatal(err)
	}
	return string(licfile.Format(f.Features[0]))
}

func tmpl(tokenKeys string, extra ...string) string {
	lines := append([]string{"FEATURE f {", "VENDOR = acme", "VERSION = 2.0", "COUNT = 5", "GRACE = 48",
		"BORROW = 72", "EXPIRE = 2030-12-31"}, extra...)
	if tokenKeys != "" {
		lines = append(lines, `TOKEN_KEY = "`+tokenKeys+`"`)
	}
	return strings.Join(append(lines, "}"), "\n") + "\n"
}

// TestVerifyChain has one case per link of the chain that can break.
func TestVerifyChain(t *testing.T) {
	vendor, server, user := newKey(t), newKey(t), newKey(t)
	vendorPub := vendor.Public().(ed25519.PublicKey)
	sk := PublicText(server)
	block := signedBlock(t, vendor, tmpl(sk))
	grace := Token{Kind: KindGrace, ID: "g1", Feature: "f", Version: "2.0", User: "ann", Host: "ws1",
		Issued: t0, GraceHours: 48, License: block}
	borrow := Token{Kind: KindBorrow, ID: "b1", Feature: "f", Version: "2.0", User: "ann", Host: "ws1",
		Issued: t0, Expires: t0.Add(72 * time.Hour), License: block}
	with := func(tk Token, edit func(*Token)) Token { edit(&tk); return tk }
	hal := signedBlock(t, vendor, tmpl(PublicText(newKey(t))+" "+sk+" "+PublicText(newKey(t)),
		`HAL_SERVERS = "a:1 b:1 c:1"`))
	tests := []struct {
		name   string
		vendor ed25519.PublicKey
		key    ed25519.PrivateKey
		tok    Token
		want   string // "" for valid
	}{
		{"grace", vendorPub, server, grace, ""},
		{"borrow of exactly BORROW", vendorPub, server, borrow, ""},
		{"second of three HAL keys", vendorPub, server, with(grace, func(tk *Token) { tk.License = hal }), ""},
		{"no vendor key", nil, server, grace, "no vendor public key"},
		{"signed by the user's key", vendorPub, user, grace, "not signed by a TOKEN_KEY"},
		{"no license", vendorPub, server, with(grace, func(tk *Token) { tk.License = "" }), "carries no vendor-signed license"},
		{"license of another vendor", vendorPub, server,
			with(grace, func(tk *Token) { tk.License = signedBlock(t, user, tmpl(sk)) }), "not signed by the vendor's key"},
		{"license edited: user's token key", vendorPub, user, with(grace, func(tk *Token) {
			tk.License = strings.Replace(block, sk, PublicText(user), 1)
		}), "not signed by the vendor's key"},
		{"license edited: longer borrow", vendorPub, server, with(borrow, func(tk *Token) {
			tk.License = strings.Replace(block, "BORROW = 72", "BORROW = 8760", 1)
			tk.Expires = t0.Add(8760 * time.Hour)
		}), "not signed by the vendor's key"},
		{"license names no token key", vendorPub, server,
			with(grace, func(tk *Token) { tk.License = signedBlock(t, vendor, tmpl("")) }), "not signed by a TOKEN_KEY"},
		{"license not a block", vendorPub, server, with(grace, func(tk *Token) { tk.License = "FEATURE {" }), "not one valid FEATURE block"},
		{"two blocks", vendorPub, server, with(grace, func(tk *Token) { tk.License = block + strings.Replace(block, "FEATURE f", "FEATURE g", 1) }),
			"not one valid FEATURE block"},
		{"other feature", vendorPub, server, with(grace, func(tk *Token) { tk.Feature = "g" }), "token for g carries the license of f"},
		{"other version", vendorPub, server, with(grace, func(tk *Token) { tk.Version = "3.0" }), "version 3.0"},
		{"longer grace", vendorPub, server, with(grace, func(tk *Token) { tk.GraceHours = 168 }), "grace of 168 hours"},
		{"longer borrow", vendorPub, server, with(borrow, func(tk *Token) { tk.Expires = t0.Add(73 * time.Hour) }), "allows 72 hours"},
		{"borrow issued later", vendorPub, server, with(borrow, func(tk *Token) { tk.Issued = tk.Expires }), "allows 72 hours"},
		{"borrow past the license", vendorPub, server, with(borrow, func(tk *Token) {
			tk.Issued = time.Date(2030, 12, 31, 12, 0, 0, 0, time.UTC)
			tk.Expires = tk.Issued.Add(24 * time.Hour)
		}), "after the license of f ends"},
		{"unknown kind", vendorPub, server, with(grace, func(tk *Token) { tk.Kind = "lease" }), "unknown kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Sign(tt.key, tt.tok)
			if err != nil {
				t.Fatal(err)
			}
			got, ft, err := VerifyChain(tt.vendor, s)
			if tt.want == "" {
				if err != nil || ft == nil || got.ID != tt.tok.ID {
					t.Fatalf("VerifyChain = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("VerifyChain error = %v, want one saying %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrNoVendorKey) {
				t.Errorf("error %v wraps neither ErrInvalid nor ErrNoVendorKey", err)
			}
		})
	}
}

// TestVerifyChainTamperedPayload edits a signed payload byte by byte: no
// edit verifies.
func TestVerifyChainTamperedPayload(t *testing.T) {
	vendor, server := newKey(t), newKey(t)
	block := signedBlock(t, vendor, tmpl(PublicText(server)))
	s, err := Sign(server, Token{Kind: KindGrace, ID: "g1", Feature: "f", Version: "2.0", User: "ann",
		Host: "ws1", Issued: t0, GraceHours: 48, License: block})
	if err != nil {
		t.Fatal(err)
	}
	p, sig, _ := strings.Cut(s, ".")
	raw, _ := enc.DecodeString(p)
	for i := range raw {
		edited := bytes.Clone(raw)
		edited[i] ^= 1
		if _, _, err := VerifyChain(vendor.Public().(ed25519.PublicKey), enc.EncodeToString(edited)+"."+sig); err == nil {
			t.Fatalf("payload with byte %d flipped verifies", i)
		}
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKey(dir)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("second LoadKey = %v, same key %v", err, k1.Equal(k2))
	}
	pub, err := licfile.ReadPublicKey(KeyPrefix(dir) + ".pub")
	if err != nil || EncodeKey(pub) != PublicText(k1) {
		t.Fatalf("server.pub = %v, %v", pub, err)
	}
}
