package licenses

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/clientstate"
	"github.com/floatlic/floatlic/internal/wire"
)

type stateFile = clientstate.State

// Grace states of a feature for this user.
const (
	GraceNone     = clientstate.GraceNone     // no grace token stored
	GraceInactive = clientstate.GraceInactive // a token is stored, ready for when no server answers
	GraceActive   = clientstate.GraceActive   // a grace license is running, until Expires
	GraceCooldown = clientstate.GraceCooldown // expired; no new grace until CooldownUntil
)

// GraceCooldownPeriod is how long after a grace period expires before the same
// user may have a new one for the feature.
const GraceCooldownPeriod = clientstate.Cooldown

// GraceState is the grace state of one feature for the client's user and
// host.
type GraceState struct {
	Feature string
	// State is GraceNone, GraceInactive, GraceActive or GraceCooldown.
	State string
	// Version is the license version of the grace token.
	Version string
	// Hours is the length of a grace period, from the stored token.
	Hours int
	// Activated and Expires bound the grace period (active and cooldown).
	Activated, Expires time.Time
	// CooldownUntil is the end of the cooldown (cooldown only).
	CooldownUntil time.Time
}

// Graces returns the grace state of every feature the client's user has a
// grace record for on this host, sorted by feature.
func (c *Client) Graces() ([]GraceState, error) {
	st, err := c.state()
	if err != nil {
		return nil, err
	}
	var out []GraceState
	err = st.View(func(s *stateFile) error {
		for _, g := range s.GracesOf(c.opts.User, c.opts.Host) {
			out = append(out, c.graceState(&g))
		}
		return nil
	})
	return out, err
}

// Grace returns the grace state of feature for the client's user and host
// (State GraceNone when there is no record).
func (c *Client) Grace(feature string) (GraceState, error) {
	gs := GraceState{Feature: feature, State: GraceNone}
	st, err := c.state()
	if err != nil {
		return gs, err
	}
	err = st.View(func(s *stateFile) error {
		if g := s.Grace(c.opts.User, c.opts.Host, feature); g != nil {
			gs = c.graceState(g)
		}
		return nil
	})
	return gs, err
}

func (c *Client) graceState(g *clientstate.Grace) GraceState {
	state, expires, until := g.StateAt(c.now())
	gs := GraceState{Feature: g.Feature, State: state, Expires: expires, CooldownUntil: until}
	if state == GraceActive || state == GraceCooldown {
		gs.Activated, gs.Version = g.Activated, g.Version
	}
	if tk, err := g.Verify(c.opts.VendorKey, c.opts.User, c.opts.Host); err == nil {
		gs.Hours = tk.GraceHours
		if gs.Version == "" {
			gs.Version = tk.Version
		}
	} else if state == GraceInactive {
		gs.State = GraceNone // an unusable token is no grace
	}
	return gs
}

// keepGraceToken stores the inactive grace token a server sent with a
// checkout, after checking that it chains to the vendor's key and was
// signed for this user and host, with the address of the server that sent
// it. A token that does not verify (or with no vendor key, that cannot) is
// dropped: grace is a fallback, never a reason to fail a checkout that
// succeeded.
func (c *Client) keepGraceToken(feature, tok, server string) {
	st, err := c.state()
	if err != nil {
		return
	}
	g := clientstate.Grace{Feature: feature, User: c.opts.User, Host: c.opts.Host, Token: tok}
	if _, err := g.Verify(c.opts.VendorKey, c.opts.User, c.opts.Host); err != nil {
		return
	}
	issuers := []string{server}
	if !slices.Contains(c.opts.Servers, server) { // a redirect's target: the addresses given led to it
		issuers = append(slices.Clone(c.opts.Servers), server)
	}
	now := c.now()
	_ = st.Update(func(s *stateFile) error {
		_, _ = s.Observe(now) // a server answered: the clock need not be right for that
		s.StoreGraceToken(c.opts.User, c.opts.Host, feature, tok, issuers, now)
		return nil
	})
}

// fromGrace serves feature from grace after cause (no server reachable):
// an active grace period goes on with its expiry; an inactive token is
// activated for its GRACE hours.
func (c *Client) fromGrace(feature, version string, cause error) (*License, error) {
	st, err := c.state()
	if err != nil {
		return nil, cause
	}
	var lic *License
	err = st.Update(func(s *stateFile) error {
		g := s.Grace(c.opts.User, c.opts.Host, feature)
		if g == nil || g.Token == "" {
			return wire.Errorf(wire.CodeNoServer, "%s; no grace license of %s is stored for %s@%s (a checkout from a server with grace allowed stores one)",
				errMessage(cause), feature, c.opts.User, c.opts.Host)
		}
		tk, err := g.Verify(c.opts.VendorKey, c.opts.User, c.opts.Host)
		if err != nil {
			return err
		}
		now := c.now()
		if _, err := s.Observe(now); err != nil {
			return err
		}
		state, expires, until := g.StateAt(now)
		switch state {
		case GraceCooldown:
			return wire.Errorf(wire.CodeGraceCooldown, "no license server reachable, and the grace period of %s for %s@%s ended at %s: no new grace until %s",
				feature, c.opts.User, c.opts.Host, expires.Format(time.RFC3339), until.Format(time.RFC3339))
		case GraceActive:
			tk.Version = g.Version // the activated token's, not the newest
			if err := versionOK(feature, version, tk); err != nil {
				return err
			}
		default: // inactive
			if err := c.issuerTried(g, feature, cause); err != nil {
				return err
			}
			if err := versionOK(feature, version, tk); err != nil {
				return err
			}
			s.Reports = append(s.Reports, g.Activate(tk, now))
			expires = g.Expires
		}
		lic = &License{c: c, feature: feature, reqVersion: version, source: FromGrace,
			version: tk.Version, expires: expires, lost: make(chan struct{}),
			checkoutID: g.TokenID, since: g.Activated}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.reportsMaybe = true
	c.mu.Unlock()
	return lic, nil
}

// issuerTried refuses to start grace unless an address of the server that
// issued the token was among those tried: an address that never answered
// (a typo) is no outage, and grace spent on it would cost the user the 7
// days of cooldown after it. A token stored before its addresses were
// kept is given the benefit of the doubt.
func (c *Client) issuerTried(g *clientstate.Grace, feature string, cause error) error {
	if len(g.Servers) == 0 || slices.ContainsFunc(g.Servers, func(a string) bool { return slices.Contains(c.opts.Servers, a) }) {
		return nil
	}
	return wire.Errorf(wire.CodeNoServer, "%s; grace not started: the grace license of %s came from %s, not tried here; is %s the right address?",
		errMessage(cause), feature, strings.Join(g.Servers, ","), strings.Join(c.opts.Servers, ","))
}

// reportGraces tells the server at addr about grace periods it has not
// heard of, once per activation. Failures leave them for the next time.
func (c *Client) reportGraces(ctx context.Context, addr string) {
	c.mu.Lock()
	maybe := c.reportsMaybe
	c.mu.Unlock()
	st, err := c.state()
	if !maybe || err != nil {
		return
	}
	var reports []clientstate.Report
	if st.View(func(s *stateFile) error {
		reports = s.ReportsOf(c.opts.User, c.opts.Host)
		return nil
	}) != nil {
		return
	}
	for _, r := range reports {
		req := wire.GraceReport{Client: c.wireClient(), Token: r.Token, TokenID: r.TokenID, Feature: r.Feature,
			Activated: r.Activated, Expires: r.Expires}
		var rep wire.GraceReply
		_, err := c.exchange(ctx, withFirst(c.opts.Servers, addr), wire.PathGrace, req, &rep, 1)
		if !answered(err) {
			return // not delivered: try again after the next call that gets through
		}
		// Sent, or refused for good (grace_not_allowed, ...): done with it.
		_ = st.Update(func(s *stateFile) error {
			s.DeleteReport(r.TokenID)
			return nil
		})
	}
	c.mu.Lock()
	c.reportsMaybe = false
	c.mu.Unlock()
}
