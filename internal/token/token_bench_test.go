package token

import (
	"crypto/ed25519"
	"testing"
	"time"
)

func benchToken(b *testing.B) (ed25519.PublicKey, ed25519.PrivateKey, Token) {
	b.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	return pub, priv, Token{Kind: KindBorrow, ID: "0123456789abcdef0123456789abcdef", Feature: "cad_pro", Version: "2.0",
		User: "ann", Host: "ws1.example.com", Issued: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
		Expires: time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)}
}

// BenchmarkSign signs a borrow token, as licd does for every borrow (and a
// grace token for every checkout of a feature with GRACE).
func BenchmarkSign(b *testing.B) {
	_, priv, tk := benchToken(b)
	b.ReportAllocs()
	for range b.N {
		if _, err := Sign(priv, tk); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify verifies a token's signature and decodes it, as the
// client does before it runs on a borrowed or grace license.
func BenchmarkVerify(b *testing.B) {
	pub, priv, tk := benchToken(b)
	s, err := Sign(priv, tk)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		if _, err := Verify(pub, s); err != nil {
			b.Fatal(err)
		}
	}
}
