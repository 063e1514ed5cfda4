// Package token signs and verifies the grace and borrow tokens that a license
// server hands to clients, so that a client can run with no network while the
// token is valid. A token is base64url(JSON payload) "." base64url(Ed25519
// signature over the payload bytes), signed by the server's own token key
// (kept in its data dir, not the vendor's key). Any edit to the payload — a
// later expiry, another user or host — breaks the signature.
//
// Trust: a client cannot take the server's word for which key is the
// server's, nor keep that key in a file its user can edit. So the payload
// carries the vendor-signed FEATURE block of the license (licfile.Format),
// whose TOKEN_KEY names the key(s) that may sign tokens for the feature.
// VerifyChain checks the block with the vendor's public key (which the
// vendor's application carries), then the token's signature with a key the
// block names, then the token's fields against the block's GRACE or BORROW.
package token

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kinds of token.
const (
	KindGrace  = "grace"
	KindBorrow = "borrow"
)

// ErrInvalid is returned for a token that is malformed or whose signature
// does not verify.
var ErrInvalid = errors.New("invalid token")

// Token is the signed payload.
type Token struct {
	Kind    string    `json:"kind"`
	ID      string    `json:"id"`
	Feature string    `json:"feature"`
	Version string    `json:"version"`
	User    string    `json:"user"`
	Host    string    `json:"host"`
	Issued  time.Time `json:"issued"`
	// Expires is the end of a borrow. Grace tokens are issued inactive, with
	// no expiry: the client starts GraceHours when it activates one.
	Expires    time.Time `json:"expires,omitzero"`
	GraceHours int       `json:"grace_hours,omitempty"`
	// License is the vendor-signed FEATURE block (licfile.Format) whose
	// TOKEN_KEY names the key that signed this token: the token's proof.
	License string `json:"license,omitempty"`
}

var enc = base64.RawURLEncoding

// Sign returns the token t signed with key.
func Sign(key ed25519.PrivateKey, t Token) (string, error) {
	payload, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("encode token: %w", err)
	}
	sig := ed25519.Sign(key, payload)
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(sig), nil
}

// Verify checks s against the server public key pub and returns its payload.
// It proves only that pub signed s: a client, which cannot know pub on its
// own, uses VerifyChain.
func Verify(pub ed25519.PublicKey, s string) (Token, error) {
	t, payload, sig, err := split(s)
	if err != nil {
		return t, err
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, payload, sig) {
		return Token{}, fmt.Errorf("%w: signature does not verify", ErrInvalid)
	}
	return t, nil
}

// split decodes a token into its payload (also as bytes, for the
// signature) and its signature, verifying nothing.
func split(s string) (t Token, payload, sig []byte, err error) {
	p, sg, ok := strings.Cut(strings.TrimSpace(s), ".")
	if !ok {
		return t, nil, nil, fmt.Errorf("%w: no signature", ErrInvalid)
	}
	if payload, err = enc.DecodeString(p); err != nil {
		return t, nil, nil, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	if sig, err = enc.DecodeString(sg); err != nil {
		return t, nil, nil, fmt.Errorf("%w: signature: %v", ErrInvalid, err)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Token{}, nil, nil, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	return t, payload, sig, nil
}

// EncodeKey returns pub as standard base64, as sent in replies.
func EncodeKey(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}

// DecodeKey parses a key written by EncodeKey.
func DecodeKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("server key %q is not a base64 Ed25519 public key", s)
	}
	return ed25519.PublicKey(b), nil
}
