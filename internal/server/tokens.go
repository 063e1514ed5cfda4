package server

import (
	"crypto/ed25519"
	"slices"
	"strings"

	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

// Grace and borrow tokens are signed with the server's token key and carry
// the vendor-signed FEATURE block whose TOKEN_KEY names that key: a client
// trusts a token only through that chain (package token). A server whose
// key the license does not name could only hand out tokens that every
// client refuses, so it issues none: borrow is refused before a license
// leaves the pool, and a checkout carries no grace token.

// tokenRefusal says why this server may not sign tokens for f, or "".
func (s *Server) tokenRefusal(f *engine.Feature) string {
	switch {
	case slices.Contains(f.TokenKeys, s.keyText):
		return ""
	case len(f.TokenKeys) == 0:
		return "the license of " + f.Name + " names no TOKEN_KEY, so clients could not trust its tokens offline: " +
			"ask the vendor for a license with TOKEN_KEY = " + s.keyText + " (this server's key, licd token-key prints it)"
	}
	return "the license of " + f.Name + " names TOKEN_KEY " + strings.Join(f.TokenKeys, " ") +
		", but this server's token key is " + s.keyText + ": start licd with the --data dir that holds the named key, " +
		"or ask the vendor for a license naming this one"
}

// borrowRefusal refuses a borrow of f that would get a token no client
// trusts. A feature that is unknown or has no BORROW is left to the engine,
// which refuses it with its own code.
func (s *Server) borrowRefusal(f *engine.Feature) *wire.Error {
	if f == nil || f.BorrowHours == 0 {
		return nil
	}
	if why := s.tokenRefusal(f); why != "" {
		return wire.Errorf(wire.CodeBorrowNotAllowed, "%s", why)
	}
	return nil
}

// warnTokens logs, at start and after a reload, each feature with GRACE or
// BORROW whose tokens this server may not sign.
func (s *Server) warnTokens(features []*engine.Feature) {
	for _, f := range features {
		if f.GraceHours == 0 && f.BorrowHours == 0 {
			continue
		}
		if why := s.tokenRefusal(f); why != "" {
			s.log.Warn("no grace or borrow tokens for this feature: "+why, "feature", f.Name, "token_key", s.keyText)
		}
	}
}

// signToken signs t for f, with f's license block as its proof.
func (s *Server) signToken(f *engine.Feature, t token.Token) (string, error) {
	t.License = f.Block
	return token.Sign(s.key, t)
}

// verifyToken checks tok's signature against this server's key and, on a
// HAL set, against the other nodes' keys that the license names in
// TOKEN_KEY: a borrow made on #1 is returned through #2 after a failover.
func (s *Server) verifyToken(tok string) (token.Token, error) {
	tk, err := token.Verify(s.key.Public().(ed25519.PublicKey), tok)
	if err == nil || s.hal == nil {
		return tk, err
	}
	for _, f := range s.engine.Features() {
		for _, text := range f.TokenKeys {
			if text == s.keyText {
				continue
			}
			if pub, kerr := token.DecodeKey(text); kerr == nil {
				if t, verr := token.Verify(pub, tok); verr == nil {
					return t, nil
				}
			}
		}
	}
	return tk, err
}
