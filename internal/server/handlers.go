package server

import (
	"errors"
	"time"

	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/policy"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

// decodeFrom decodes a state-changing request into req and checks its
// caller fields.
func decodeFrom(body []byte, req any, caller func() wire.Client) *wire.Error {
	if err := decode(body, req); err != nil {
		return err
	}
	return checkClient(caller())
}

// checkWant checks what a checkout or a borrow asks for.
func checkWant(requestID, feature, version string) *wire.Error {
	if !validID(requestID) {
		return badRequest("request_id %q must be 1 to 64 letters, digits, '-' or '_'", clip(requestID))
	}
	return checkFeature(feature, version)
}

func checkFeature(name, version string) *wire.Error {
	if name == "" || len(name) > 128 {
		return badRequest("feature must be 1 to 128 bytes")
	}
	if version != "" && !licfile.ValidVersion(version) {
		return badRequest("version %q is not major.minor", clip(version))
	}
	return nil
}

func (s *Server) checkout(body []byte) (any, *wire.Error) {
	var req wire.CheckoutRequest
	if err := decodeFrom(body, &req, func() wire.Client { return req.Client }); err != nil {
		return nil, err
	}
	if err := checkWant(req.RequestID, req.Feature, req.Version); err != nil {
		return nil, err
	}
	if req.Count < 0 || req.Count > 1_000_000 {
		return nil, badRequest("count %d is outside 1..1000000", req.Count)
	}
	res := s.engine.Submit(engine.Checkout{Now: s.clock.Now(), Client: req.Client, RequestID: req.RequestID,
		CheckoutID: randomID(), Feature: req.Feature, Version: req.Version, Count: req.Count, Queue: req.Queue})
	if res.Err != nil {
		return nil, res.Err
	}
	reply := res.Reply.(wire.CheckoutReply)
	reply.Instance = s.instance
	reply.HeartbeatSeconds = s.cfg.HeartbeatInterval.Seconds()
	if reply.Queued {
		return reply, nil
	}
	if f := s.engine.Feature(reply.Feature); f != nil && f.GraceHours > 0 && s.tokenRefusal(f) == "" {
		reply.GraceToken, reply.ServerKey = s.graceToken(req.Client, f), s.keyText
	}
	return reply, nil
}

// graceToken signs an inactive grace token for the caller: it has no expiry
// until the client activates it.
func (s *Server) graceToken(c wire.Client, f *engine.Feature) string {
	t, _ := s.signToken(f, token.Token{Kind: token.KindGrace, ID: randomID(), Feature: f.Name,
		Version: f.Version, User: c.User, Host: c.Host, Issued: s.clock.Now().UTC(), GraceHours: f.GraceHours})
	return t
}

func (s *Server) heartbeat(body []byte) (any, *wire.Error) {
	var req wire.HeartbeatRequest
	if err := decodeFrom(body, &req, func() wire.Client { return req.Client }); err != nil {
		return nil, err
	}
	res := s.engine.Submit(engine.Heartbeat{Now: s.clock.Now(), Client: req.Client})
	if res.Err != nil {
		return nil, res.Err
	}
	reply := res.Reply.(wire.HeartbeatReply)
	reply.Instance = s.instance
	reply.HeartbeatSeconds = s.cfg.HeartbeatInterval.Seconds()
	return reply, nil
}

func (s *Server) checkin(body []byte) (any, *wire.Error) {
	var req wire.CheckinRequest
	if err := decodeFrom(body, &req, func() wire.Client { return req.Client }); err != nil {
		return nil, err
	}
	if n := btoi(req.All) + btoi(req.CheckoutID != "") + btoi(req.RequestID != ""); n != 1 {
		return nil, badRequest("give either checkout_id or all (or request_id, to cancel a queued request), only one")
	}
	res := s.engine.Submit(engine.Checkin{Now: s.clock.Now(), Client: req.Client, CheckoutID: req.CheckoutID, All: req.All,
		RequestID: req.RequestID})
	if res.Err != nil {
		return nil, res.Err
	}
	reply := res.Reply.(wire.CheckinReply)
	reply.Instance = s.instance
	return reply, nil
}

func (s *Server) borrow(body []byte) (any, *wire.Error) {
	var req wire.BorrowRequest
	if err := decodeFrom(body, &req, func() wire.Client { return req.Client }); err != nil {
		return nil, err
	}
	if err := checkWant(req.RequestID, req.Feature, req.Version); err != nil {
		return nil, err
	}
	if req.Hours < 1 || req.Hours > 8760 {
		return nil, badRequest("hours %d is outside 1..8760", req.Hours)
	}
	f := s.engine.Feature(req.Feature)
	if err := s.borrowRefusal(f); err != nil {
		return nil, err
	}
	res := s.engine.Submit(engine.Borrow{Now: s.clock.Now(), Client: req.Client, RequestID: req.RequestID,
		BorrowID: randomID(), Feature: req.Feature, Version: req.Version, Hours: req.Hours, Allowed: s.borrowAllowed()})
	if res.Err != nil {
		return nil, res.Err
	}
	reply := res.Reply.(wire.BorrowReply)
	reply.Instance = s.instance
	reply.ServerKey = s.keyText
	if f == nil || s.tokenRefusal(f) != "" { // reloaded in between: sign with the license in force now
		if f = s.engine.Feature(reply.Feature); f == nil || s.tokenRefusal(f) != "" {
			return nil, wire.Errorf(wire.CodeInternal, "the license of %s changed during the borrow: return it and try again", reply.Feature)
		}
	}
	var err error
	reply.Token, err = s.signToken(f, token.Token{Kind: token.KindBorrow, ID: reply.BorrowID,
		Feature: reply.Feature, Version: reply.Version, User: req.User, Host: req.Host,
		Issued: s.clock.Now().UTC(), Expires: reply.Expires.UTC()})
	if err != nil {
		return nil, wire.Errorf(wire.CodeInternal, "sign borrow token: %v", err)
	}
	return reply, nil
}

func (s *Server) giveBack(body []byte) (any, *wire.Error) {
	var req wire.ReturnRequest
	if err := decodeFrom(body, &req, func() wire.Client { return req.Client }); err != nil {
		return nil, err
	}
	if !validID(req.BorrowID) {
		return nil, badRequest("borrow_id %q is not a borrow id", clip(req.BorrowID))
	}
	if req.Token == "" {
		return nil, badRequest("a return needs the borrow's token (token), as the server sent it with the borrow")
	}
	tk, werr := s.ownToken(req.Token, token.KindBorrow, req.Client)
	if werr != nil {
		return nil, werr
	}
	if tk.ID != req.BorrowID {
		return nil, wire.Errorf(wire.CodeTokenInvalid, "the token is borrow %s's, not %s's", tk.ID, req.BorrowID)
	}
	res := s.engine.Submit(engine.Return{Now: s.clock.Now(), Client: req.Client, BorrowID: req.BorrowID})
	if res.Err != nil {
		return nil, res.Err
	}
	reply := res.Reply.(wire.ReturnReply)
	reply.Instance = s.instance
	return reply, nil
}

// ownToken verifies tok as a token of kind that this server (or, on a HAL
// set, one of its nodes) signed for the caller's user and host: what a
// client must show to act on a borrow or a grace period, as their ids are
// public.
func (s *Server) ownToken(tok, kind string, c wire.Client) (token.Token, *wire.Error) {
	tk, err := s.verifyToken(tok)
	switch {
	case err != nil:
		return tk, wire.Errorf(wire.CodeTokenInvalid, "the %s token was not signed by this server: %v", kind, err)
	case tk.Kind != kind:
		return tk, wire.Errorf(wire.CodeTokenInvalid, "the token is a %s token, not a %s token", tk.Kind, kind)
	case tk.User != c.User || tk.Host != c.Host:
		return tk, wire.Errorf(wire.CodeTokenInvalid, "the %s token was issued to %s@%s, not %s@%s", kind, tk.User, tk.Host, c.User, c.Host)
	}
	return tk, nil
}

func (s *Server) grace(body []byte) (any, *wire.Error) {
	var req wire.GraceReport
	if err := decodeFrom(body, &req, func() wire.Client { return req.Client }); err != nil {
		return nil, err
	}
	if !validID(req.TokenID) {
		return nil, badRequest("token_id %q is not a token id", clip(req.TokenID))
	}
	if err := checkFeature(req.Feature, ""); err != nil {
		return nil, err
	}
	if req.Token == "" {
		return nil, badRequest("a grace report needs the grace token it activated (token), as the server sent it")
	}
	tk, werr := s.ownToken(req.Token, token.KindGrace, req.Client)
	if werr != nil {
		return nil, werr
	}
	if tk.ID != req.TokenID || tk.Feature != req.Feature {
		return nil, wire.Errorf(wire.CodeTokenInvalid, "the grace token is %s of %s, not %s of %s", tk.ID, tk.Feature, clip(req.TokenID), req.Feature)
	}
	if err := checkGracePeriod(tk, req.Activated, req.Expires, s.clock.Now()); err != nil {
		return nil, err
	}
	res := s.engine.Submit(engine.GraceReport{Now: s.clock.Now(), Client: req.Client, TokenID: req.TokenID,
		Feature: req.Feature, Activated: req.Activated.UTC(), Expires: req.Expires.UTC()})
	if res.Err != nil {
		return nil, res.Err
	}
	return wire.GraceReply{Instance: s.instance}, nil
}

// graceSkew is how far a client's clock may be off the server's when it
// activates a grace period: the client's own windback tolerance.
const graceSkew = 5 * time.Minute

// checkGracePeriod checks a reported grace period against the token it
// activated: it starts after the token was issued and not in the future,
// and lasts no longer than the token's hours (the feature's GRACE when the
// token was issued: a license reloaded since with less does not cut short
// a period a client was entitled to).
func checkGracePeriod(tk token.Token, activated, expires, now time.Time) *wire.Error {
	hours := time.Duration(tk.GraceHours) * time.Hour
	switch {
	case activated.IsZero() || !expires.After(activated):
		return badRequest("a grace report needs activated and a later expires")
	case expires.Sub(activated) > hours:
		return badRequest("grace period of %s is longer than the token's GRACE of %d hours", expires.Sub(activated), tk.GraceHours)
	case activated.Before(tk.Issued.Add(-graceSkew)):
		return badRequest("grace activated at %s, before its token was issued at %s",
			activated.UTC().Format(time.RFC3339), tk.Issued.UTC().Format(time.RFC3339))
	case activated.After(now.Add(graceSkew)):
		return badRequest("grace activated at %s, later than the server's time %s",
			activated.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

func (s *Server) status([]byte) (any, *wire.Error) {
	return s.Status(), nil
}

// Status returns the server's state as licstat shows it.
func (s *Server) Status() *wire.Status {
	now := s.clock.Now()
	st := &wire.Status{Server: wire.ServerInfo{Instance: s.instance, Role: "single", Serving: true,
		Addr: s.Addr(), Started: s.started, Version: versionString(), Now: now}}
	s.engine.Status(now, st)
	if s.hal != nil {
		s.hal.Status(st)
		return st
	}
	st.Servers = []wire.ServerNode{{ID: 1, Addr: s.Addr(), Role: "single", Up: true, Serving: true}}
	return st
}

func (s *Server) remove(body []byte) (any, *wire.Error) {
	var req wire.RemoveRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkRemove(req); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	cmd := engine.Remove{Now: now, CheckoutID: req.CheckoutID, Session: req.Session, User: req.User,
		Host: req.Host, Feature: req.Feature, BorrowID: req.BorrowID, By: req.By}
	if req.HoldSeconds > 0 {
		cmd.HoldID, cmd.HoldUntil = randomID(), now.Add(time.Duration(req.HoldSeconds)*time.Second)
	}
	res := s.engine.Submit(cmd)
	if res.Err != nil {
		return nil, res.Err
	}
	reply := res.Reply.(wire.RemoveReply)
	reply.Instance = s.instance
	return reply, nil
}

// reload re-reads the license files and the options file. A bad file is
// refused and the licenses and rules in force stay as they were; checkouts
// are never dropped.
func (s *Server) reload([]byte) (any, *wire.Error) {
	reply, err := s.reloadAll("admin reload")
	if err != nil {
		var werr *wire.Error
		if errors.As(err, &werr) {
			return nil, werr
		}
		return nil, wire.Errorf(wire.CodeBadRequest, "reload refused, the licenses and options in force are kept: %v", err)
	}
	return reply, nil
}

// Reload re-reads the license files and the options file, and returns the
// served feature names. On any error the licenses and rules in force are
// kept.
func (s *Server) Reload(why string) ([]string, error) {
	reply, err := s.reloadAll(why)
	return reply.Features, err
}

// reloadAll is Reload, with the reply of the admin's reload: it also names
// the options file in force and the features left holding more than their
// new limits.
func (s *Server) reloadAll(why string) (wire.ReloadReply, error) {
	reply := wire.ReloadReply{Instance: s.instance}
	features, err := LoadFeatures(s.cfg.Licenses, s.cfg.VendorPub)
	if err == nil {
		_, err = checkHAL(features, s.cfg.HAL)
	}
	var rules *policy.Policy
	if err == nil {
		rules, err = loadPolicy(s.cfg.Options, features)
	}
	if err != nil {
		s.log.Error("reload refused: keeping the licenses and options in force", "err", err)
		return reply, err
	}
	if rules != nil {
		reply.Options = &wire.PolicyInfo{Path: rules.Path, Rules: rules.Directives}
	}
	s.warnTimeouts(rules)
	if !s.serving() {
		// A HAL node that does not serve keeps them for when it does: the
		// set serves the features of the node that serves.
		s.mu.Lock()
		s.local, s.localPolicy = features, rules
		s.mu.Unlock()
		s.log.Info("reloaded the license files: this HAL node serves them when it takes over; reload the serving node to change what the set serves")
		reply.Features = engine.Names(features)
		return reply, nil
	}
	res := s.engine.Submit(engine.SetFeatures{Now: s.clock.Now(), Features: features, Policy: rules, Detail: why})
	if res.Err != nil {
		return reply, res.Err
	}
	s.warnTokens(features)
	s.warnExpiry(features, s.clock.Now())
	s.mu.Lock()
	s.local, s.localPolicy = features, rules
	s.mu.Unlock()
	set := res.Reply.(engine.SetFeaturesReply)
	for _, o := range set.Overcommitted {
		s.log.Warn("reload left more licenses held than allowed", "detail", o)
	}
	reply.Features, reply.Overcommitted = set.Names, set.Overcommitted
	return reply, nil
}
