package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// Command is one state change. apply runs with the engine's write lock
// held, in a batch (a Heartbeat alone); it must be deterministic.
type Command interface {
	apply(e *Engine, t *txn) Result
	time() time.Time
}

func (c Checkout) time() time.Time    { return c.Now }
func (c Heartbeat) time() time.Time   { return c.Now }
func (c Checkin) time() time.Time     { return c.Now }
func (c Borrow) time() time.Time      { return c.Now }
func (c Return) time() time.Time      { return c.Now }
func (c GraceReport) time() time.Time { return c.Now }
func (c Remove) time() time.Time      { return c.Now }
func (c Reap) time() time.Time        { return c.Now }
func (c SetFeatures) time() time.Time { return c.Now }
func (c Note) time() time.Time        { return c.Now }
func (c Flush) time() time.Time       { return c.Now }

// Result is what a command gives back: a reply (one of the wire reply types,
// without the instance id) or a refusal.
type Result struct {
	Reply any
	Err   *wire.Error
}

// txn is the batch's transaction plus the events it records. The store
// transaction starts at the first write, so read-only batches cost nothing.
type txn struct {
	e      *Engine
	tx     *store.Tx
	err    error
	events []wire.Event
}

func (t *txn) store() *store.Tx {
	if t.tx == nil && t.err == nil {
		t.tx, t.err = t.e.store.Begin()
	}
	if t.tx == nil {
		return nil
	}
	return t.tx
}

func (t *txn) write(f func(*store.Tx)) {
	if tx := t.store(); tx != nil {
		f(tx)
	}
}

// event records ev; the batch's events are written together at commit.
func (t *txn) event(ev wire.Event) {
	t.e.seq++
	ev.Seq = t.e.seq
	t.events = append(t.events, ev)
}

// commit writes the batch's events and commits, if anything was written.
func (t *txn) commit() error {
	if len(t.events) > 0 {
		t.write(func(tx *store.Tx) { tx.InsertEvents(t.events) })
	}
	if t.err != nil {
		return t.err
	}
	if t.tx == nil {
		return nil
	}
	return t.tx.Commit()
}

func clientEvent(kind string, now time.Time, c wire.Client, feature string) wire.Event {
	return wire.Event{Time: now, Kind: kind, Feature: feature, User: c.User, Host: c.Host, Session: c.Session}
}

// Checkout grants Count licenses of Feature to the session, or refuses.
// A repeated (session, RequestID) returns the checkout already granted.
type Checkout struct {
	Now        time.Time
	Client     wire.Client
	RequestID  string
	CheckoutID string // id for a new checkout, chosen by the caller
	Feature    string
	Version    string
	Count      int
	Queue      bool // wait in the feature's queue when refused for now (queue.go)
}

func (c Checkout) apply(e *Engine, t *txn) Result {
	s, res := e.caller(c.Client)
	if res.Err != nil {
		return res
	}
	if s != nil {
		if co := s.byRequest(c.RequestID); co != nil {
			if co.Feature != c.Feature {
				return refuse(wire.CodeBadRequest, "request_id %q was used for feature %s", c.RequestID, co.Feature)
			}
			e.touch(s, c.Now)
			return Result{Reply: e.checkoutReply(co, s, c.Now)}
		}
		if _, i := e.queued(s.ID, c.Feature, c.RequestID); i >= 0 {
			e.touch(s, c.Now)
			return Result{Reply: e.queuedReply(c.Feature, i)}
		}
	}
	n := max(c.Count, 1)
	if r, held := e.held(t, c.Now, c.Client, c.Feature, n); held {
		return r
	}
	f, res := e.admit(t, c.Now, c.Client, c.Feature, c.Version, n)
	if c.Queue && (f == nil && queueable(res.Err.Code) || f != nil && len(e.qs.queues[c.Feature]) > 0) {
		if f == nil {
			t.unrecord() // the denial admit recorded: this request waits
		}
		if s == nil {
			s = e.newSession(t, c.Client, c.Now)
		}
		e.touch(s, c.Now)
		return e.enqueue(t, c, s, n)
	}
	if f == nil {
		return res
	}
	if s == nil {
		s = e.newSession(t, c.Client, c.Now)
	}
	e.touch(s, c.Now)
	co := &store.Checkout{ID: c.CheckoutID, Session: s.ID, RequestID: c.RequestID,
		Feature: f.Name, Version: f.Version, Count: n, Since: c.Now}
	s.checkouts = append(s.checkouts, co)
	e.checkouts[co.ID] = co
	e.hold(f.Name, s.User, s.Host, n, false)
	t.write(func(tx *store.Tx) { tx.InsertCheckout(*co) })
	ev := clientEvent(wire.EventGrant, c.Now, c.Client, f.Name)
	ev.Checkout, ev.Count = co.ID, n
	t.event(ev)
	return Result{Reply: e.checkoutReply(co, s, c.Now)}
}

// admit checks a request for n licenses of a feature against its license and
// its pool. On refusal it records a denial and returns a nil feature.
func (e *Engine) admit(t *txn, now time.Time, cl wire.Client, name, version string, n int) (*Feature, Result) {
	deny := func(code, format string, args ...any) (*Feature, Result) {
		r := refuse(code, format, args...)
		ev := clientEvent(wire.EventDeny, now, cl, name)
		ev.Code, ev.Detail, ev.Count = code, r.Err.Message, n
		t.event(ev)
		return nil, r
	}
	f := e.feature(name)
	switch {
	case f == nil:
		return deny(wire.CodeUnknownFeature, "%s", e.unknownFeature(name))
	case !f.HostOK:
		return deny(wire.CodeHostMismatch, "feature %s is locked to host id %v, which this server does not have", name, f.HostIDs)
	case (!f.Expires.IsZero() || !f.Start.IsZero()) && e.setBack(now):
		return deny(wire.CodeClockWindback, "the server's clock reads %s, behind the time %s that it recorded before: it was set back, and %s has an EXPIRE or START date, so it is not served until the clock is corrected",
			now.UTC().Format(time.RFC3339), e.newest.UTC().Format(time.RFC3339), name)
	case !f.Expires.IsZero() && !now.Before(f.Expires):
		return deny(wire.CodeExpired, "feature %s expired on %s", name, f.Expire)
	case !f.Start.IsZero() && now.Before(f.Start):
		return deny(wire.CodeNotStarted, "feature %s starts on %s", name, f.Start.Format(time.DateOnly))
	case version != "" && licfile.CompareVersion(version, f.Version) > 0:
		return deny(wire.CodeVersionTooHigh, "version %s of %s asked for, the license is for %s", version, name, f.Version)
	}
	if code, msg := e.policyRefusal(f, cl, n); code != "" { // the options file (policy.go)
		return deny(code, "%s", msg)
	}
	if msg := e.shortOf(f, n); msg != "" {
		return deny(wire.CodeCountExhausted, "%s", msg)
	}
	return f, Result{}
}

// shortOf says why n licenses of f cannot be had now, or returns "". A
// request for more than COUNT is count_exhausted too, not bad_request: it is
// a well-formed request that this license cannot serve (a larger license
// could), and applications already handle the code as "not enough
// licenses"; the message tells it from a pool in use.
func (e *Engine) shortOf(f *Feature, n int) string {
	u := e.useOf(f.Name)
	free := f.Count - u.inUse - u.borrowed
	if plantedBug && e.restarted {
		free++
	}
	switch {
	case n > f.Count:
		return fmt.Sprintf("%d licenses of %s asked for, more than its COUNT of %d: this license can never grant them", n, f.Name, f.Count)
	case n <= free:
		return ""
	case free <= 0:
		return fmt.Sprintf("all %d licenses of %s are in use (%d checked out, %d borrowed)", f.Count, f.Name, u.inUse, u.borrowed)
	}
	return fmt.Sprintf("only %d of the %d licenses of %s are free (%d checked out, %d borrowed): %d asked for",
		free, f.Count, f.Name, u.inUse, u.borrowed, n)
}

// caller returns the session the client names, or nil when the server does
// not know it. A session id claimed with another user or host is not that
// session: the id is a secret, but a leaked one still does not let a
// stranger act as its owner under another name.
func (e *Engine) caller(c wire.Client) (*session, Result) {
	s := e.sessions[c.Session]
	if s != nil && (s.User != c.User || s.Host != c.Host) {
		return nil, refuse(wire.CodeUnknownSession, "session %s is not known here for %s@%s", c.Session, c.User, c.Host)
	}
	return s, Result{}
}

func (e *Engine) newSession(t *txn, c wire.Client, now time.Time) *session {
	s := &session{Session: store.Session{ID: c.Session, User: c.User, Host: c.Host, PID: c.PID,
		Created: now, LastHeartbeat: now}, handle: wire.SessionHandle(c.Session), stored: now}
	e.sessions[s.ID] = s
	t.write(func(tx *store.Tx) { tx.InsertSession(s.Session) })
	return s
}

// touch renews a session's lease; the heartbeat time is written later, in
// bulk (see flush): a restart that finds an older time gives the session at
// least Config.RestartFloor.
func (e *Engine) touch(s *session, now time.Time) {
	s.LastHeartbeat = now
	s.leaseUntil = now.Add(e.cfg.Lease)
	if !s.dirty && !e.cfg.Replicated { // a flag, not a map: a heartbeat is a hot path
		s.dirty = true
		e.dirty = append(e.dirty, s)
	}
}

// checkoutReply is the reply to a checkout of session s at now; its lease
// is the one promised from now.
func (e *Engine) checkoutReply(co *store.Checkout, s *session, now time.Time) wire.CheckoutReply {
	f := e.feature(co.Feature)
	r := wire.CheckoutReply{CheckoutID: co.ID, Feature: co.Feature, Version: co.Version,
		Count: co.Count, Since: co.Since, LeaseSeconds: e.promised(s, now).Sub(now).Seconds()}
	if f != nil {
		r.Expires = f.Expire
	}
	return r
}

// Heartbeat renews a session's lease.
type Heartbeat struct {
	Now    time.Time
	Client wire.Client
}

func (h Heartbeat) apply(e *Engine, _ *txn) Result {
	s, res := e.caller(h.Client)
	if res.Err != nil {
		return res
	}
	if s == nil {
		return refuse(wire.CodeUnknownSession, "session %s is not known here (its lease ran out, or it was removed): check out again", h.Client.Session)
	}
	e.touch(s, h.Now)
	if !e.cfg.Replicated { // replicated, only entries move it: it decides refusals on every node
		e.saw(nil, h.Now)
	}
	ids := make([]string, len(s.checkouts))
	for i, c := range s.checkouts {
		ids[i] = c.ID
	}
	return Result{Reply: wire.HeartbeatReply{LeaseUntil: e.promised(s, h.Now), Checkouts: ids}}
}

// Flush writes the next chunk of heartbeat times, and starts a flush if one
// is due at Now. Every batch does that; Flush is a batch with nothing else to
// do, for when only heartbeats arrive (see FlushDue).
type Flush struct {
	Now time.Time
}

func (Flush) apply(*Engine, *txn) Result { return Result{} }

// Checkin releases one checkout of a session, or all of them (and the
// session) with All. Releasing what is not held succeeds, so a client may
// repeat a checkin whose reply it lost; a checkout held by another session
// is refused (checkout ids are public: status shows them).
type Checkin struct {
	Now        time.Time
	Client     wire.Client
	CheckoutID string
	All        bool
	RequestID  string // cancels the session's queued request of that id
}

func (c Checkin) apply(e *Engine, t *txn) Result {
	s, res := e.caller(c.Client)
	if res.Err != nil {
		return res
	}
	if co := e.checkouts[c.CheckoutID]; !c.All && co != nil && (s == nil || co.Session != s.ID) {
		return refuse(wire.CodeUnknownCheckout, "checkout %s is not held by this session", c.CheckoutID)
	}
	if s == nil {
		return Result{Reply: wire.CheckinReply{}}
	}
	if c.RequestID != "" {
		e.touch(s, c.Now)
		return Result{Reply: wire.CheckinReply{Released: e.cancelRequest(t, c.Now, s, c.RequestID)}}
	}
	var ids []string
	if c.All {
		for _, co := range s.checkouts {
			ids = append(ids, co.ID)
		}
	} else {
		ids = []string{c.CheckoutID}
		e.touch(s, c.Now)
	}
	n := e.release(t, s, ids, wire.EventRelease, "", c.Now)
	if c.All {
		e.endSession(t, s, c.Now, "checked in")
	}
	return Result{Reply: wire.CheckinReply{Released: n}}
}

// release deletes the session's checkouts with ids, recording kind events
// with detail.
func (e *Engine) release(t *txn, s *session, ids []string, kind, detail string, now time.Time) int {
	n := 0
	for _, id := range ids {
		co := s.drop(id)
		if co == nil {
			continue
		}
		delete(e.checkouts, id)
		e.hold(co.Feature, s.User, s.Host, -co.Count, false)
		e.freedOf(co.Feature)
		t.write(func(tx *store.Tx) { tx.DeleteCheckout(id) })
		t.event(wire.Event{Time: now, Kind: kind, Feature: co.Feature, User: s.User, Host: s.Host,
			Session: s.ID, Checkout: id, Count: co.Count, Detail: detail})
		n++
	}
	return n
}

// endSession ends s, and its queued requests (why: for their events).
func (e *Engine) endSession(t *txn, s *session, now time.Time, why string) {
	e.dequeueSession(t, now, s, why)
	for _, co := range s.checkouts { // normally none left
		delete(e.checkouts, co.ID)
		e.hold(co.Feature, s.User, s.Host, -co.Count, false)
		e.freedOf(co.Feature)
		t.write(func(tx *store.Tx) { tx.DeleteCheckout(co.ID) })
	}
	delete(e.sessions, s.ID)
	t.write(func(tx *store.Tx) { tx.DeleteSession(s.ID) })
}

// Remove is the admin's forced release of a checkout, or of all of a
// session's, the session named by its handle (the admin never sees ids).
type Remove struct {
	Now        time.Time
	CheckoutID string
	Session    string // a handle, as status shows it
	// User, Host, Feature remove every matching checkout (remove.go);
	// BorrowID revokes a borrow; HoldUntil, when set, keeps the user,
	// host and feature off it until then, under HoldID. By names the admin.
	User, Host, Feature string
	BorrowID            string
	HoldID              string
	HoldUntil           time.Time
	By                  string
}

func (r Remove) apply(e *Engine, t *txn) Result {
	switch {
	case r.BorrowID != "":
		return e.revokeBorrow(t, r)
	case r.selects():
		return e.removeMatching(t, r)
	}
	if r.Session != "" {
		n := 0
		for _, s := range e.sessionsByHandle(r.Session) {
			ids := make([]string, len(s.checkouts))
			for i, c := range s.checkouts {
				ids[i] = c.ID
			}
			n += e.release(t, s, ids, wire.EventRemove, r.byDetail(), r.Now)
			e.endSession(t, s, r.Now, "removed "+r.byDetail())
		}
		return Result{Reply: wire.RemoveReply{Removed: n}}
	}
	co := e.checkouts[r.CheckoutID]
	if co == nil {
		return Result{Reply: wire.RemoveReply{}}
	}
	n := e.release(t, e.sessions[co.Session], []string{co.ID}, wire.EventRemove, r.byDetail(), r.Now)
	return Result{Reply: wire.RemoveReply{Removed: n}}
}

// sessionsByHandle returns the sessions whose handle is h: one, in all
// likelihood (a handle is 64 bits), in id order. An admin's remove is rare,
// so a scan beats keeping a second index up to date on every checkout.
func (e *Engine) sessionsByHandle(h string) []*session {
	var out []*session
	for _, s := range e.sessions {
		if s.handle == h {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *session) int { return strings.Compare(a.ID, b.ID) })
	return out
}
