// Package demo makes the throw-away setup that `licd demo` and the tests
// serve: a fresh vendor key pair, the server's token key in its data dir, a
// signed demo license naming that key in TOKEN_KEY, and an admin token.
package demo

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/token"
)

// Template is the demo license before signing: cad_pro (COUNT 5, GRACE 48,
// BORROW 72), cad_view (COUNT 20) and solver (VERSION 3.1, COUNT 2, BORROW 24).
// Its TOKEN_KEY values are TokenKeyPlaceholder.
//
//go:embed demo.tmpl
var Template []byte

// TokenKeyPlaceholder, in a template given to Setup, stands for the base64
// public token key of the server that serves the data dir.
const TokenKeyPlaceholder = "@TOKEN_KEY@"

// Files are the paths Setup wrote.
type Files struct {
	License    string // signed license
	VendorKey  string // vendor private key
	VendorPub  string // vendor public key
	AdminToken string // file holding the admin token
	Token      string // the admin token itself
	DataDir    string // the server's data dir, holding its token key
	TokenKey   string // the server's base64 public token key, in the license's TOKEN_KEY
}

// Setup writes a vendor key pair, the server's token key in dir/data, the
// signed template (Template when nil) with TokenKeyPlaceholder replaced by
// that key, and an admin token into dir.
func Setup(dir string, template []byte) (Files, error) {
	if template == nil {
		template = Template
	}
	f := Files{
		License:    filepath.Join(dir, "demo.lic"),
		VendorKey:  filepath.Join(dir, "vendor.key"),
		VendorPub:  filepath.Join(dir, "vendor.pub"),
		AdminToken: filepath.Join(dir, "admin.token"),
		DataDir:    filepath.Join(dir, "data"),
	}
	if err := licfile.WriteKeyPair(filepath.Join(dir, "vendor"), true); err != nil {
		return f, fmt.Errorf("demo key pair: %w", err)
	}
	key, err := licfile.ReadPrivateKey(f.VendorKey)
	if err != nil {
		return f, err
	}
	if err := os.MkdirAll(f.DataDir, 0o700); err != nil {
		return f, fmt.Errorf("demo data dir: %w", err)
	}
	serverKey, err := token.LoadKey(f.DataDir)
	if err != nil {
		return f, err
	}
	f.TokenKey = token.PublicText(serverKey)
	template = bytes.ReplaceAll(template, []byte(TokenKeyPlaceholder), []byte(f.TokenKey))
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
