package token

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/floatlic/floatlic/internal/licfile"
)

// ErrNoVendorKey is returned by VerifyChain when it is given no vendor
// public key: nothing a client holds can then prove a token genuine.
var ErrNoVendorKey = errors.New("no vendor public key configured")

// VerifyChain checks that token s chains to the vendor's public key and
// returns its payload and the license feature it carries:
//
//  1. the FEATURE block in the payload verifies with vendor;
//  2. s is signed by a key the block's TOKEN_KEY names;
//  3. the token is for that feature and version, and a grace token has the
//     block's GRACE hours, a borrow token an expiry at most BORROW hours
//     after it was issued and not after the license expires.
//
// Each failure wraps ErrInvalid (or ErrNoVendorKey) and says which link
// broke. The caller still checks kind, user and host, and the time.
func VerifyChain(vendor ed25519.PublicKey, s string) (Token, *licfile.Feature, error) {
	if len(vendor) != ed25519.PublicKeySize {
		return Token{}, nil, ErrNoVendorKey
	}
	t, payload, sig, err := split(s)
	if err != nil {
		return t, nil, err
	}
	ft, err := vendorFeature(vendor, t)
	if err != nil {
		return t, nil, err
	}
	if !signedByTokenKey(ft, payload, sig) {
		return t, nil, fmt.Errorf("%w: not signed by a TOKEN_KEY that the vendor's license of %s names", ErrInvalid, ft.Name)
	}
	if err := fitsLicense(t, ft); err != nil {
		return t, nil, err
	}
	return t, ft, nil
}

// vendorFeature parses the license block t carries and verifies it with
// the vendor's key.
func vendorFeature(vendor ed25519.PublicKey, t Token) (*licfile.Feature, error) {
	if t.License == "" {
		return nil, fmt.Errorf("%w: it carries no vendor-signed license (issued by an older server?)", ErrInvalid)
	}
	f, err := licfile.Parse("token license", []byte(t.License))
	if err != nil || len(f.Features) != 1 {
		return nil, fmt.Errorf("%w: its license block is not one valid FEATURE block", ErrInvalid)
	}
	if err := f.Verify(vendor); err != nil {
		return nil, fmt.Errorf("%w: its license of %s is not signed by the vendor's key", ErrInvalid, f.Features[0].Name)
	}
	return f.Features[0], nil
}

func signedByTokenKey(ft *licfile.Feature, payload, sig []byte) bool {
	for _, k := range ft.TokenKeys() {
		if ed25519.Verify(k, payload, sig) {
			return true
		}
	}
	return false
}

// fitsLicense checks the token's fields against the license it carries.
func fitsLicense(t Token, ft *licfile.Feature) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	switch {
	case t.Feature != ft.Name:
		return bad("token for %s carries the license of %s", t.Feature, ft.Name)
	case t.Version != ft.Version:
		return bad("token for version %s carries the license of version %s", t.Version, ft.Version)
	}
	switch t.Kind {
	case KindGrace:
		if ft.Grace == 0 || t.GraceHours != ft.Grace {
			return bad("grace of %d hours, the license of %s allows %d", t.GraceHours, ft.Name, ft.Grace)
		}
	case KindBorrow:
		longest := time.Duration(ft.Borrow) * time.Hour
		if ft.Borrow == 0 || !t.Expires.After(t.Issued) || t.Expires.Sub(t.Issued) > longest {
			return bad("borrow from %s to %s, the license of %s allows %d hours",
				t.Issued.Format(time.RFC3339), t.Expires.Format(time.RFC3339), ft.Name, ft.Borrow)
		}
		if end, permanent := ft.ExpiresAt(); !permanent && t.Expires.After(end) {
			return bad("borrow until %s, after the license of %s ends", t.Expires.Format(time.RFC3339), ft.Name)
		}
	default:
		return bad("unknown kind %q", t.Kind)
	}
	return nil
}
