package licenses

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// Heartbeat renews the session on every server the client holds licenses
// from, once, as automatic heartbeats do; use it when AutoHeartbeat is off.
// When a server restarted, forgot the session or lost a checkout, the
// licenses are checked out again with their request ids; a refusal marks
// the license lost (see License.Lost and Options.OnLost) and is returned.
func (c *Client) Heartbeat(ctx context.Context) error {
	var errs []error
	for _, g := range c.groups() {
		if err := c.heartbeatServer(ctx, g.addr, g.lics, 0); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

type group struct {
	addr string
	lics []*License
}

// groups returns the held server licenses by server, in a stable order.
func (c *Client) groups() []group {
	c.mu.Lock()
	defer c.mu.Unlock()
	by := map[string][]*License{}
	for l := range c.held {
		by[l.server] = append(by[l.server], l)
	}
	out := make([]group, 0, len(by))
	for addr, lics := range by {
		out = append(out, group{addr, lics})
	}
	slices.SortFunc(out, func(a, b group) int { return cmpStr(a.addr, b.addr) })
	return out
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// heartbeatServer heartbeats addr for lics and repairs what the reply shows:
// a restart or a forgotten session (check out again), a checkout the server
// no longer holds (check it out again), one the client no longer holds
// (check it in). hops bounds not_primary redirects.
func (c *Client) heartbeatServer(ctx context.Context, addr string, lics []*License, hops int) error {
	c.mu.Lock()
	gen, quiet := c.gen, c.inflight == 0
	c.mu.Unlock()
	var rep wire.HeartbeatReply
	err := c.post(ctx, addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: c.wireClient()}, &rep, 1)
	var e *Error
	switch {
	case err == nil:
	case errors.As(err, &e) && e.Code == wire.CodeNotPrimary && hops < 3:
		p, perr := normAddr(e.Primary, c.opts.TLSConfig != nil)
		if perr != nil || p == addr {
			return err
		}
		return c.heartbeatServer(ctx, p, lics, hops+1)
	case errors.As(err, &e) && e.Code == wire.CodeUnknownSession:
		c.takeRestart(addr)
		return c.recheckout(ctx, addr, lics)
	default:
		return err
	}
	c.heartbeatAnswered(addr, lics, rep.HeartbeatSeconds)
	if c.takeRestart(addr) {
		// Checkouts are durable, so the same request ids find the same
		// checkouts; whatever the server lost is taken again.
		return c.recheckout(ctx, addr, lics)
	}
	has := map[string]bool{}
	for _, id := range rep.Checkouts {
		has[id] = true
	}
	var missing []*License
	for _, l := range lics {
		if !has[l.CheckoutID()] {
			missing = append(missing, l)
		}
	}
	c.checkinStrays(ctx, addr, rep.Checkouts, gen, quiet)
	if len(missing) > 0 {
		return c.recheckout(ctx, addr, missing)
	}
	c.reportGraces(ctx, addr)
	return nil
}

// heartbeatAnswered records that addr answered a heartbeat for lics: they
// are held from addr now (after a failover), at its heartbeat interval.
func (c *Client) heartbeatAnswered(addr string, lics []*License, heartbeatSeconds float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if heartbeatSeconds > 0 {
		c.serverInterval = time.Duration(heartbeatSeconds * float64(time.Second))
	}
	for _, l := range lics {
		if l.state == stateHeld {
			l.server = addr
		}
	}
	c.sessionServers[addr] = true
	c.preferred = addr
}

// checkinStrays checks in the checkouts the server holds for the session
// but the application does not (a checkin whose request was lost). It does
// nothing when a checkout was in flight around the heartbeat, whose new id
// the client may not know yet.
func (c *Client) checkinStrays(ctx context.Context, addr string, ids []string, gen int, quiet bool) {
	c.mu.Lock()
	if !quiet || c.gen != gen || c.inflight > 0 {
		c.mu.Unlock()
		return
	}
	mine := map[string]bool{}
	for l := range c.held {
		mine[l.checkoutID] = true
	}
	var strays []string
	for _, id := range ids {
		if !mine[id] {
			strays = append(strays, id)
		}
	}
	c.mu.Unlock()
	for _, id := range strays {
		_ = c.checkinID(ctx, addr, id)
	}
}

func (c *Client) takeRestart(addr string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.restarted[addr]
	delete(c.restarted, addr)
	return r
}

// recheckout checks lics out again at addr with their own request ids. A
// refusal loses the license; a failure to reach the server is returned for
// the next heartbeat to try again.
func (c *Client) recheckout(ctx context.Context, addr string, lics []*License) error {
	var errs []error
	for _, l := range lics {
		c.mu.Lock()
		held := l.state == stateHeld && !c.closed
		c.mu.Unlock()
		if !held {
			continue
		}
		req := wire.CheckoutRequest{Client: c.wireClient(), RequestID: l.requestID, Feature: l.feature, Version: l.reqVersion}
		var rep wire.CheckoutReply
		got, err := c.exchange(ctx, []string{addr}, wire.PathCheckout, req, &rep, 2)
		if err != nil {
			if !answered(err) {
				return err // the next heartbeat tries again
			}
			c.lose(l, err)
			errs = append(errs, fmt.Errorf("check out %s again: %w", l.feature, err))
			continue
		}
		c.mu.Lock()
		stillHeld := l.state == stateHeld
		if stillHeld {
			l.checkoutID, l.server = rep.CheckoutID, got
			c.sessionServers[got] = true
		}
		c.mu.Unlock()
		if !stillHeld { // checked in meanwhile: give the new checkout back
			_ = c.checkinID(ctx, got, rep.CheckoutID)
		}
		if c.opts.AllowGrace && rep.GraceToken != "" {
			c.keepGraceToken(l.feature, rep.GraceToken, got)
		}
	}
	return errors.Join(errs...)
}

// lose marks l lost with err and tells the application.
func (c *Client) lose(l *License, err error) {
	c.mu.Lock()
	if l.state != stateHeld {
		c.mu.Unlock()
		return
	}
	l.state, l.err = stateLost, err
	delete(c.held, l)
	close(l.lost)
	c.mu.Unlock()
	if c.opts.OnLost != nil {
		go c.opts.OnLost(l.feature, err)
	}
}

// HeartbeatInterval returns the time between automatic heartbeats: the
// option, else the interval the server asked for in its latest reply, else
// DefaultHeartbeatInterval.
func (c *Client) HeartbeatInterval() time.Duration { return c.interval() }

func (c *Client) interval() time.Duration {
	if c.opts.HeartbeatInterval > 0 {
		return c.opts.HeartbeatInterval
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.serverInterval > 0 {
		return c.serverInterval
	}
	return DefaultHeartbeatInterval
}

// heartbeatLoop runs automatic heartbeats until ctx ends or they give up.
func (c *Client) heartbeatLoop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTimer(c.interval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		reason := c.autoHeartbeat(ctx)
		if ctx.Err() != nil {
			return
		}
		if reason != nil {
			go c.opts.OnExit(reason)
			return
		}
		t.Reset(c.interval())
	}
}

// autoHeartbeat is one round of automatic heartbeats. It returns the reason
// to stop the application, or nil.
func (c *Client) autoHeartbeat(ctx context.Context) error {
	for _, g := range c.groups() {
		err := c.heartbeatServer(ctx, g.addr, g.lics, 0)
		if ctx.Err() != nil {
			return nil
		}
		c.mu.Lock()
		if answered(err) {
			delete(c.failures, g.addr)
			c.mu.Unlock()
			continue
		}
		c.failures[g.addr]++
		n := c.failures[g.addr]
		c.mu.Unlock()
		if n < c.opts.HeartbeatAttempts {
			continue // until the attempts are used up, only the license's server
		}
		if c.failover(ctx, g.addr, g.lics) {
			c.mu.Lock()
			delete(c.failures, g.addr)
			c.mu.Unlock()
			continue
		}
		return wire.Errorf(wire.CodeHeartbeatsFailed, "%d heartbeats in a row to %s failed and no other server answered: %s",
			n, g.addr, errMessage(err))
	}
	return c.checkRestarts()
}

// failover heartbeats the other servers for lics, in list order, and
// reports whether one of them took the session over.
func (c *Client) failover(ctx context.Context, from string, lics []*License) bool {
	for _, s := range c.opts.Servers {
		if s == from {
			continue
		}
		if answered(c.heartbeatServer(ctx, s, lics, 0)) {
			return true
		}
	}
	return false
}

// answered reports whether a server answered: success, or a refusal that is
// not about being unable to serve.
func answered(err error) bool {
	return err == nil || ErrorCode(err) != "" && !offline(err)
}

// checkRestarts is the anti-overuse counter: more than MaxRestartsPerHour
// server restarts seen within the last hour stop the application.
func (c *Client) checkRestarts() error {
	max := c.opts.MaxRestartsPerHour
	if max <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	since := c.now().Add(-time.Hour)
	c.restarts = slices.DeleteFunc(c.restarts, func(t time.Time) bool { return t.Before(since) })
	if n := len(c.restarts); n > max {
		return wire.Errorf(wire.CodeTooManyRestarts, "the license server restarted %d times within an hour, more than the %d allowed", n, max)
	}
	return nil
}
