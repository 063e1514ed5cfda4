// Package demo makes the throw-away setup that `licd demo` and the tests
// serve: a fresh vendor key pair, a signed demo license and an admin token.
package demo

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/floatlic/floatlic/internal/licfile"
)

// Template is the demo license before signing: cad_pro (COUNT 5, GRACE 48,
// BORROW 72), cad_view (COUNT 20) and solver (VERSION 3.1, COUNT 2, BORROW 24).
//
//go:embed demo.tmpl
var Template []byte

// Files are the paths Setup wrote.
type Files struct {
	License    string // signed license
	VendorKey  string // vendor private key
	VendorPub  string // vendor public key
	AdminToken string // file holding the admin token
	Token      string // the admin token itself
}

// Setup writes a vendor key pair, the signed template (Template when nil)
// and an admin token into dir.
func Setup(dir string, template []byte) (Files, error) {
	if template == nil {
		template = Template
	}
	f := Files{
		License:    filepath.Join(dir, "demo.lic"),
		VendorKey:  filepath.Join(dir, "vendor.key"),
		VendorPub:  filepath.Join(dir, "vendor.pub"),
		AdminToken: filepath.Join(dir, "admin.token"),
	}
	if err := licfile.WriteKeyPair(filepath.Join(dir, "vendor"), true); err != nil {
		return f, fmt.Errorf("demo key pair: %w", err)
	}
	key, err := licfile.ReadPrivateKey(f.VendorKey)
	if err != nil {
		return f, err
	}
	signed, err := licfile.Sign("demo.tmpl", template, key)
	if err != nil {
		return f, fmt.Errorf("sign demo license: %w", err)
	}
	if err := licfile.WriteFileAtomic(f.License, signed, 0o644); err != nil {
		return f, err
	}
	b := make([]byte, 16)
	rand.Read(b)
	f.Token = hex.EncodeToString(b)
	if err := licfile.WriteFileAtomic(f.AdminToken, []byte(f.Token+"\n"), 0o600); err != nil {
		return f, err
	}
	return f, nil
}
