package clientstate

import (
	"crypto/ed25519"
	"time"

	"github.com/floatlic/floatlic/internal/token"
)

// Borrow is a license borrowed to one user and host: the server-signed
// token and what the client needs to give it back early.
type Borrow struct {
	Feature  string    `json:"feature"`
	Version  string    `json:"version"`
	User     string    `json:"user"`
	Host     string    `json:"host"`
	BorrowID string    `json:"borrow_id"`
	Server   string    `json:"server"` // the server that lent it
	Since    time.Time `json:"since"`
	Expires  time.Time `json:"expires"`
	Token    string    `json:"token"`
}

// Verify checks the token: that it chains to the vendor's public key
// (token.VerifyChain), that it is a borrow token for this feature issued to
// user at host, and that the record's borrow id, version and expiry are the
// token's. A token_invalid *wire.Error says what is wrong. Verify does not
// look at the time: see Expires.
func (b *Borrow) Verify(vendor ed25519.PublicKey, user, host string) (token.Token, error) {
	t, err := verify(vendor, b.Token, token.KindBorrow, b.Feature, user, host)
	if err != nil {
		return t, err
	}
	if t.ID != b.BorrowID || t.Version != b.Version || !t.Expires.Equal(b.Expires) || t.Expires.IsZero() {
		return t, invalid("borrow token for %s does not match its record (id, version or expiry edited)", b.Feature)
	}
	return t, nil
}
