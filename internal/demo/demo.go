// Package demo makes the throw-away setup that `licd demo` and the tests
// serve: a fresh vendor key pair, the server's token key in its data dir, a
// signed demo license naming that key in TOKEN_KEY, and an admin token.
package demo

import (
	"bytes"
	"crypto/ed25519"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/floatlic/floatlic/internal/admintoken"
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
	key, err := vendorKey(dir)
	if err != nil {
		return f, err
	}
	if f.TokenKey, err = serverKey(f.DataDir); err != nil {
		return f, err
	}
	template = bytes.ReplaceAll(template, []byte(TokenKeyPlaceholder), []byte(f.TokenKey))
	if err := signLicense(f.License, "demo.tmpl", template, key); err != nil {
		return f, err
	}
	f.Token, err = admintoken.Write(f.AdminToken, true)
	return f, err
}

// vendorKey writes a fresh vendor key pair as dir/vendor.key and
// dir/vendor.pub and returns its private key.
func vendorKey(dir string) (ed25519.PrivateKey, error) {
	if err := licfile.WriteKeyPair(filepath.Join(dir, "vendor"), true); err != nil {
		return nil, fmt.Errorf("demo key pair: %w", err)
	}
	return licfile.ReadPrivateKey(filepath.Join(dir, "vendor.key"))
}

// serverKey makes the data dir and the server's token key in it, and
// returns the key as TOKEN_KEY names it.
func serverKey(dataDir string) (string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("demo data dir: %w", err)
	}
	key, err := token.LoadKey(dataDir)
	if err != nil {
		return "", err
	}
	return token.PublicText(key), nil
}

// signLicense signs template (named name in errors) with the vendor key
// and writes it to path.
func signLicense(path, name string, template []byte, key ed25519.PrivateKey) error {
	signed, err := licfile.Sign(name, template, key)
	if err != nil {
		return fmt.Errorf("sign demo license: %w", err)
	}
	return licfile.WriteFileAtomic(path, signed, 0o644)
}
