package licenses

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/floatlic/floatlic/internal/clientstate"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

// Borrow is a license borrowed to the client's user and host.
type Borrow struct {
	Feature  string
	Version  string
	User     string
	Host     string
	BorrowID string
	Server   string // the server that lent it
	Since    time.Time
	Expires  time.Time
}

func borrowOf(b *clientstate.Borrow) Borrow {
	return Borrow{Feature: b.Feature, Version: b.Version, User: b.User, Host: b.Host,
		BorrowID: b.BorrowID, Server: b.Server, Since: b.Since, Expires: b.Expires}
}

// Borrow takes one license of feature out of the server's pool for hours
// hours (at most the feature's BORROW) and stores the server-signed token in
// the state dir. Until it expires or is returned, Checkout of the feature is
// served from it, with no server. A feature borrowed already must be
// returned before it is borrowed again.
func (c *Client) Borrow(ctx context.Context, feature, version string, hours int) (*Borrow, error) {
	if feature == "" || hours < 1 {
		return nil, wire.Errorf(wire.CodeBadRequest, "borrow: want a feature and at least 1 hour")
	}
	if c.opts.VendorKey == nil { // ask before a license leaves the pool for a token no one could trust
		return nil, wire.Errorf(wire.CodeTokenInvalid, "cannot borrow %s: no vendor public key is configured, so a borrowed license could not be trusted offline (%s)",
			feature, clientstate.NoVendorKeyHint)
	}
	st, err := c.state()
	if err != nil {
		return nil, err
	}
	now := c.now()
	err = st.Update(func(s *stateFile) error {
		if _, err := s.Observe(now); err != nil {
			return err
		}
		s.PruneBorrows(now)
		if b := s.Borrow(c.opts.User, c.opts.Host, feature); b != nil {
			return wire.Errorf(wire.CodeBadRequest, "%s is borrowed already, until %s: return it first",
				feature, b.Expires.Format(time.RFC3339))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	req := wire.BorrowRequest{Client: c.wireClient(), RequestID: randomID(), Feature: feature, Version: version, Hours: hours}
	var rep wire.BorrowReply
	addr, err := c.exchange(ctx, c.order(), wire.PathBorrow, req, &rep, sendTries)
	if err != nil {
		return nil, err
	}
	b := clientstate.Borrow{Feature: feature, Version: rep.Version, User: c.opts.User, Host: c.opts.Host,
		BorrowID: rep.BorrowID, Server: addr, Since: now.UTC(), Expires: rep.Expires, Token: rep.Token}
	if err := checkBorrowToken(&b, c.opts.VendorKey, c.opts.User, c.opts.Host); err != nil {
		_ = c.returnID(ctx, addr, rep.BorrowID, rep.Token)
		return nil, err
	}
	if err := st.Update(func(s *stateFile) error { s.PutBorrow(b); return nil }); err != nil {
		_ = c.returnID(ctx, addr, rep.BorrowID, rep.Token)
		return nil, fmt.Errorf("keep borrowed license: %w", err)
	}
	c.reportGraces(ctx, addr)
	out := borrowOf(&b)
	return &out, nil
}

// checkBorrowToken verifies a token as the server sent it: it must chain
// to the vendor's key, as it will have to offline.
func checkBorrowToken(b *clientstate.Borrow, vendor ed25519.PublicKey, user, host string) error {
	tk, _, err := token.VerifyChain(vendor, b.Token)
	if err != nil {
		return wire.Errorf(wire.CodeTokenInvalid, "the server's borrow token for %s: %v", b.Feature, err)
	}
	// The record takes the token's values, then must verify as a whole.
	b.Version, b.Expires = tk.Version, tk.Expires
	_, err = b.Verify(vendor, user, host)
	return err
}

// Return gives the borrowed license of feature back to the server early and
// deletes it from the state dir. A borrow the server no longer knows (it
// expired there) is deleted as well.
func (c *Client) Return(ctx context.Context, feature string) error {
	st, err := c.state()
	if err != nil {
		return err
	}
	var b *clientstate.Borrow
	_ = st.View(func(s *stateFile) error {
		if x := s.Borrow(c.opts.User, c.opts.Host, feature); x != nil {
			cp := *x
			b = &cp
		}
		return nil
	})
	if b == nil {
		return wire.Errorf(wire.CodeUnknownBorrow, "%s is not borrowed by %s@%s", feature, c.opts.User, c.opts.Host)
	}
	if err := c.returnID(ctx, b.Server, b.BorrowID, b.Token); err != nil {
		return err
	}
	return st.Update(func(s *stateFile) error {
		s.DeleteBorrow(c.opts.User, c.opts.Host, feature)
		return nil
	})
}

// returnID returns borrow id to the server, proving the borrow is ours with
// its token.
func (c *Client) returnID(ctx context.Context, addr, id, tok string) error {
	req := wire.ReturnRequest{Client: c.wireClient(), BorrowID: id, Token: tok}
	var rep wire.ReturnReply
	order := withFirst(c.opts.Servers, addr)
	got, err := c.exchange(ctx, order, wire.PathReturn, req, &rep, sendTries)
	if err == nil {
		c.reportGraces(ctx, got)
	}
	return err
}

// Borrows returns the licenses borrowed to the client's user and host that
// are still valid, sorted by feature. Borrows whose token does not verify
// (edited by hand, or another user's) are left out.
func (c *Client) Borrows() ([]Borrow, error) {
	st, err := c.state()
	if err != nil {
		return nil, err
	}
	now := c.now()
	var out []Borrow
	err = st.View(func(s *stateFile) error {
		for _, b := range s.BorrowsOf(c.opts.User, c.opts.Host) {
			if _, err := b.Verify(c.opts.VendorKey, c.opts.User, c.opts.Host); err != nil || !now.Before(b.Expires) {
				continue
			}
			out = append(out, borrowOf(&b))
		}
		return nil
	})
	return out, err
}
