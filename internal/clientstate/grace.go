package clientstate

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

// Cooldown is how long after an activated grace period expires before the
// same user may have a new grace period for the feature (LM-X: 7 days).
const Cooldown = 7 * 24 * time.Hour

// Grace states.
const (
	GraceNone     = "none"     // no grace token stored
	GraceInactive = "inactive" // a token is stored and may be activated
	GraceActive   = "active"   // activated, until Expires
	GraceCooldown = "cooldown" // expired; no new grace until Expires+Cooldown
)

// Grace is the grace record of one user, host and feature: the newest
// inactive token from a server and the current or latest activation.
type Grace struct {
	Feature string    `json:"feature"`
	User    string    `json:"user"`
	Host    string    `json:"host"`
	Token   string    `json:"token"`
	Stored  time.Time `json:"stored"`
	// Servers are the addresses of the server that issued Token: the one
	// that answered, and those the client was given when that one was
	// reached by a redirect (a HAL node names the serving one as its
	// license writes it). Grace starts only when one of them cannot be
	// reached, never on an address that never answered (a typo). Empty in
	// state written before they were kept.
	Servers []string `json:"servers,omitempty"`
	// The activation; all zero when there is none.
	TokenID   string    `json:"token_id,omitempty"`
	Version   string    `json:"version,omitempty"`
	Activated time.Time `json:"activated,omitzero"`
	Expires   time.Time `json:"expires,omitzero"`
}

// CooldownUntil returns the end of the cooldown after the activation, or
// the zero time when there is no activation.
func (g *Grace) CooldownUntil() time.Time {
	if g.Activated.IsZero() {
		return time.Time{}
	}
	return g.Expires.Add(Cooldown)
}

// StateAt returns the state of the record at now, the expiry of the
// activation (active and cooldown) and the end of the cooldown (cooldown).
func (g *Grace) StateAt(now time.Time) (state string, expires, cooldownUntil time.Time) {
	if !g.Activated.IsZero() {
		switch {
		case now.Before(g.Expires):
			return GraceActive, g.Expires, time.Time{}
		case now.Before(g.CooldownUntil()):
			return GraceCooldown, g.Expires, g.CooldownUntil()
		}
	}
	if g.Token == "" {
		return GraceNone, time.Time{}, time.Time{}
	}
	return GraceInactive, time.Time{}, time.Time{}
}

// Activate starts a grace period of t.GraceHours at now, with t the verified
// stored token, and returns the report to send to the server.
func (g *Grace) Activate(t token.Token, now time.Time) Report {
	g.TokenID, g.Version = t.ID, t.Version
	g.Activated = now.UTC()
	g.Expires = g.Activated.Add(time.Duration(t.GraceHours) * time.Hour)
	return Report{User: g.User, Host: g.Host, Feature: g.Feature, Token: g.Token, TokenID: g.TokenID,
		Activated: g.Activated, Expires: g.Expires}
}

func (g *Grace) clearActivation() {
	g.TokenID, g.Version = "", ""
	g.Activated, g.Expires = time.Time{}, time.Time{}
}

// Verify checks the stored token: that it chains to the vendor's public key
// (token.VerifyChain), that it is an inactive grace token for this feature,
// and that it was issued to user at host. A token_invalid *wire.Error says
// what is wrong.
func (g *Grace) Verify(vendor ed25519.PublicKey, user, host string) (token.Token, error) {
	t, err := verify(vendor, g.Token, token.KindGrace, g.Feature, user, host)
	if err != nil {
		return t, err
	}
	if t.GraceHours < 1 || t.GraceHours > 168 || !t.Expires.IsZero() {
		return t, invalid("grace token for %s is not an inactive token of 1 to 168 hours", g.Feature)
	}
	return t, nil
}

// NoVendorKeyHint says how to give a client the vendor's public key.
const NoVendorKeyHint = "the application sets licenses.Options.VendorKey; licborrow takes --vendor-pub FILE or LIC_VENDOR_PUB"

// verify checks that a stored token chains to the vendor's key, and its
// kind, feature, user and host. A key stored beside the token proves
// nothing: the user can edit this file.
func verify(vendor ed25519.PublicKey, tok, kind, feature, user, host string) (token.Token, error) {
	t, _, err := token.VerifyChain(vendor, tok)
	if errors.Is(err, token.ErrNoVendorKey) {
		return t, invalid("the %s token for %s cannot be trusted: no vendor public key is configured (%s)",
			kind, feature, NoVendorKeyHint)
	}
	if err != nil {
		return t, invalid("%s token for %s: %v", kind, feature, err)
	}
	switch {
	case t.Kind != kind:
		return t, invalid("%s token for %s is a %s token", kind, feature, t.Kind)
	case t.Feature != feature:
		return t, invalid("%s token for %s was issued for %s", kind, feature, t.Feature)
	case t.User != user || t.Host != host:
		return t, invalid("%s token for %s was issued to %s@%s, not %s@%s", kind, feature, t.User, t.Host, user, host)
	}
	return t, nil
}

func invalid(format string, args ...any) *wire.Error {
	return &wire.Error{Code: wire.CodeTokenInvalid, Message: fmt.Sprintf(format, args...)}
}
