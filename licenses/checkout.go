package licenses

import (
	"context"
	"errors"
	"time"

	"github.com/floatlic/floatlic/internal/clientstate"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

// Source tells where a license came from.
type Source string

// Sources of a license.
const (
	FromServer Source = "server" // checked out of a license server
	FromBorrow Source = "borrow" // served from a borrowed license, no server involved
	FromGrace  Source = "grace"  // a grace license, activated while no server could be reached
)

type licState int

const (
	stateHeld licState = iota
	stateCheckedIn
	stateLost
)

// License is one checked-out license. Its methods are safe for concurrent
// use.
type License struct {
	c          *Client
	feature    string
	reqVersion string // the version asked for
	requestID  string
	source     Source
	version    string // the license's version
	expires    time.Time
	lost       chan struct{}

	// guarded by c.mu
	state      licState
	checkoutID string
	server     string
	since      time.Time
	err        error
}

// Feature returns the feature's name.
func (l *License) Feature() string { return l.feature }

// Version returns the version of the license that was granted (at least the
// version asked for).
func (l *License) Version() string { return l.version }

// Source tells whether the license came from a server, a borrow or grace.
func (l *License) Source() Source { return l.source }

// IsGrace reports whether the license is a grace license.
func (l *License) IsGrace() bool { return l.source == FromGrace }

// IsBorrowed reports whether the license is served from a borrow.
func (l *License) IsBorrowed() bool { return l.source == FromBorrow }

// Expires returns the end of a grace or borrowed license, after which the
// application should stop using it, and the zero time for a license from a
// server (which lasts while heartbeats go on).
func (l *License) Expires() time.Time { return l.expires }

// CheckoutID returns the server's id of the checkout, or the borrow id of a
// borrowed license, or the grace token id of a grace license.
func (l *License) CheckoutID() string {
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	return l.checkoutID
}

// Server returns the server the license is held from, "" for grace and
// borrowed licenses.
func (l *License) Server() string {
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	return l.server
}

// Lost returns a channel that is closed when the license is lost: the server
// forgot it (a restart with no free license, an expired lease, an admin's
// removal) and checking it out again was refused. Err then says why.
func (l *License) Lost() <-chan struct{} { return l.lost }

// Err returns why the license was lost, or nil.
func (l *License) Err() error {
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	return l.err
}

// Checkin gives the license back. Checking in twice, or checking in a
// lost license, does nothing. A grace or borrowed license only stops being
// held: a borrow stays until it expires or is returned (Client.Return).
func (l *License) Checkin(ctx context.Context) error {
	c := l.c
	c.mu.Lock()
	if l.state != stateHeld {
		c.mu.Unlock()
		return nil
	}
	l.state = stateCheckedIn
	delete(c.held, l)
	id, addr := l.checkoutID, l.server
	c.mu.Unlock()
	if l.source != FromServer {
		return nil
	}
	return c.checkinID(ctx, addr, id)
}

func (c *Client) checkinID(ctx context.Context, addr, id string) error {
	req := wire.CheckinRequest{Client: c.wireClient(), CheckoutID: id}
	var rep wire.CheckinReply
	_, err := c.exchange(ctx, withFirst(c.opts.Servers, addr), wire.PathCheckin, req, &rep, 2)
	return err
}

// Checkout checks out one license of feature at version ("major.minor"; ""
// takes any version). A valid borrow of the feature serves it with no server
// call. Otherwise the servers are tried: a lost reply is retried with the
// same request id, not_primary is followed to the serving node, and the next
// server is tried only when one cannot be reached. When none can serve (all
// unreachable, or no quorum), and Options.AllowGrace is set, the stored
// grace token is activated.
//
// A refusal is an *Error: count_exhausted, version_too_high, ... from the
// server; no_server when none could be reached and no grace or borrow
// applies; grace_cooldown, clock_windback or token_invalid when the grace or
// borrowed license the client fell back on was refused.
func (c *Client) Checkout(ctx context.Context, feature, version string) (*License, error) {
	return c.checkout(ctx, feature, version, nil)
}

// checkout is Checkout; with wait set, a server with no license free queues
// the request and wait hears of its position (see CheckoutWait).
func (c *Client) checkout(ctx context.Context, feature, version string, wait func(position, of int)) (*License, error) {
	if feature == "" {
		return nil, wire.Errorf(wire.CodeBadRequest, "checkout: no feature named")
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	lic, borrowErr := c.fromBorrow(feature, version)
	if lic != nil {
		return lic, nil
	}
	lic, err := c.fromServer(ctx, feature, version, wait)
	if err == nil || !offline(err) {
		return lic, err
	}
	if borrowErr != nil {
		return nil, borrowErr
	}
	if c.opts.AllowGrace {
		return c.fromGrace(feature, version, err)
	}
	return nil, err
}

func (c *Client) fromServer(ctx context.Context, feature, version string, wait func(position, of int)) (*License, error) {
	req := wire.CheckoutRequest{Client: c.wireClient(), RequestID: randomID(), Feature: feature, Version: version,
		Queue: wait != nil}
	c.mu.Lock()
	c.gen++
	c.inflight++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inflight--
		c.mu.Unlock()
	}()
	var rep wire.CheckoutReply
	order := c.order()
	addr, err := c.exchange(ctx, order, wire.PathCheckout, req, &rep, sendTries)
	if err == nil && rep.Queued {
		addr, err = c.waitInQueue(ctx, req, &rep, addr, wait)
	}
	if err != nil {
		if ctx.Err() != nil {
			// Given up with a request out: a server may have granted it,
			// so Close checks the session in there too.
			c.mu.Lock()
			for _, s := range order {
				c.sessionServers[s] = true
			}
			c.mu.Unlock()
		}
		return nil, err
	}
	lic := &License{c: c, feature: feature, reqVersion: version, requestID: req.RequestID,
		source: FromServer, version: rep.Version, lost: make(chan struct{}),
		checkoutID: rep.CheckoutID, server: addr, since: rep.Since}
	if !c.hold(lic, addr, rep.HeartbeatSeconds) {
		// Closed while the request was out: give the license straight back.
		_ = c.checkinID(ctx, addr, rep.CheckoutID)
		return nil, ErrClosed
	}
	if c.opts.AllowGrace && rep.GraceToken != "" {
		c.keepGraceToken(feature, rep.GraceToken, addr)
	}
	c.reportGraces(ctx, addr)
	return lic, nil
}

// hold registers a server license for heartbeats, and starts automatic
// heartbeats with the first one. It returns false when the client is closed.
func (c *Client) hold(l *License, addr string, heartbeatSeconds float64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.held[l] = struct{}{}
	c.sessionServers[addr] = true
	if heartbeatSeconds > 0 {
		c.serverInterval = time.Duration(heartbeatSeconds * float64(time.Second))
	}
	if c.opts.AutoHeartbeat && c.hbCancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		c.hbCancel, c.hbDone = cancel, make(chan struct{})
		go c.heartbeatLoop(ctx, c.hbDone)
	}
	return true
}

// errNoBorrow ends a state update that found no usable borrow.
var errNoBorrow = errors.New("no borrow")

// fromBorrow serves feature from a valid borrow of this user and host. It
// returns (nil, nil) when there is none, and (nil, err) when there is one
// that may not be used (clock set back, token edited, version too low).
func (c *Client) fromBorrow(feature, version string) (*License, error) {
	st, err := c.state()
	if err != nil {
		return nil, nil // no state dir, so no borrows
	}
	found := false
	_ = st.View(func(s *stateFile) error {
		found = s.Borrow(c.opts.User, c.opts.Host, feature) != nil
		return nil
	})
	if !found {
		return nil, nil
	}
	var lic *License
	err = st.Update(func(s *stateFile) error {
		b := s.Borrow(c.opts.User, c.opts.Host, feature)
		if b == nil {
			return errNoBorrow
		}
		tk, err := b.Verify(c.opts.VendorKey, c.opts.User, c.opts.Host)
		if err != nil {
			return err
		}
		now := c.now()
		moved, err := s.Observe(now)
		if err != nil {
			return err
		}
		if !now.Before(tk.Expires) {
			s.PruneBorrows(now)
			return nil
		}
		if err := versionOK(feature, version, tk); err != nil {
			return err
		}
		lic = &License{c: c, feature: feature, reqVersion: version, source: FromBorrow,
			version: tk.Version, expires: tk.Expires, lost: make(chan struct{}),
			checkoutID: tk.ID, since: b.Since}
		if !moved {
			return clientstate.ErrUnchanged
		}
		return nil
	})
	if errors.Is(err, errNoBorrow) {
		return nil, nil
	}
	return lic, err
}

// versionOK checks a wanted version against a token's license version.
func versionOK(feature, want string, tk token.Token) error {
	if want != "" && licfile.CompareVersion(want, tk.Version) > 0 {
		return wire.Errorf(wire.CodeVersionTooHigh, "version %s of %s asked for, the %s license is for %s",
			want, feature, tk.Kind, tk.Version)
	}
	return nil
}
