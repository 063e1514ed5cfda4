package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/policy"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// Borrow takes one license of Feature out of the pool for Hours hours.
// A repeated (session, RequestID) returns the borrow already made.
type Borrow struct {
	Now       time.Time
	Client    wire.Client
	RequestID string
	BorrowID  string // id for a new borrow, chosen by the caller
	Feature   string
	Version   string
	Hours     int
	// Allowed is false on a node that may not lend licenses (HAL #2 and #3).
	Allowed bool
}

func (b Borrow) apply(e *Engine, t *txn) Result {
	for _, old := range e.borrows {
		if old.Session == b.Client.Session && old.RequestID == b.RequestID {
			return Result{Reply: borrowReply(old)}
		}
	}
	if f := e.feature(b.Feature); f != nil && f.BorrowHours == 0 {
		return e.denyBorrow(t, b, wire.CodeBorrowNotAllowed, "feature %s may not be borrowed: its FEATURE block (%s) has no BORROW line", b.Feature, licenseAt(f))
	} else if f != nil && !b.Allowed {
		return e.denyBorrow(t, b, wire.CodeBorrowNotAllowed, "feature %s may not be borrowed now: on a HAL set only node #1 lends licenses, and #2 serves while #1 is down", b.Feature)
	} else if f != nil && b.Hours < 1 {
		return e.denyBorrow(t, b, wire.CodeBorrowTooLong, "a borrow of %s lasts 1 hour or more; %d asked", b.Feature, b.Hours)
	} else if f != nil && b.Hours > f.BorrowHours {
		return e.denyBorrow(t, b, wire.CodeBorrowTooLong, "%s may be borrowed for at most %d hours (BORROW = %d in its FEATURE block at %s); %d asked",
			b.Feature, f.BorrowHours, f.BorrowHours, licenseAt(f), b.Hours)
	}
	if f := e.feature(b.Feature); f != nil {
		if code, msg := e.borrowRefusal(f, b.Client); code != "" {
			return e.denyBorrow(t, b, code, "%s", msg)
		}
	}
	if r, held := e.held(t, b.Now, b.Client, b.Feature, 1); held {
		return r
	}
	f, res := e.admit(t, b.Now, b.Client, b.Feature, b.Version, 1)
	if f == nil {
		return res
	}
	br := &store.Borrow{ID: b.BorrowID, Session: b.Client.Session, RequestID: b.RequestID,
		Feature: f.Name, Version: f.Version, User: b.Client.User, Host: b.Client.Host,
		Since: b.Now, Expires: b.Now.Add(time.Duration(b.Hours) * time.Hour)}
	e.borrows[br.ID] = br
	e.hold(f.Name, br.User, br.Host, 1, true)
	t.write(func(tx *store.Tx) { tx.InsertBorrow(*br) })
	ev := clientEvent(wire.EventBorrow, b.Now, b.Client, f.Name)
	ev.Checkout, ev.Count, ev.Detail = br.ID, 1, "until "+br.Expires.Format(time.RFC3339)
	t.event(ev)
	return Result{Reply: borrowReply(br)}
}

func (e *Engine) denyBorrow(t *txn, b Borrow, code, format string, args ...any) Result {
	r := refuse(code, format, args...)
	ev := clientEvent(wire.EventDeny, b.Now, b.Client, b.Feature)
	ev.Code, ev.Detail, ev.Count = code, r.Err.Message, 1
	t.event(ev)
	return r
}

func borrowReply(b *store.Borrow) wire.BorrowReply {
	return wire.BorrowReply{BorrowID: b.ID, Feature: b.Feature, Version: b.Version, Expires: b.Expires}
}

// BorrowRecord returns the borrow with id, for signing its token.
func (e *Engine) BorrowRecord(id string) (store.Borrow, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	b := e.borrows[id]
	if b == nil {
		return store.Borrow{}, false
	}
	return *b, true
}

// Return gives a borrowed license back early. Returning what is not borrowed
// succeeds with Returned false; another user's borrow is refused.
type Return struct {
	Now      time.Time
	Client   wire.Client
	BorrowID string
}

func (r Return) apply(e *Engine, t *txn) Result {
	b := e.borrows[r.BorrowID]
	if b == nil {
		return Result{Reply: wire.ReturnReply{}}
	}
	if b.User != r.Client.User || b.Host != r.Client.Host {
		return refuse(wire.CodeUnauthorized, "borrow %s belongs to %s@%s", b.ID, b.User, b.Host)
	}
	e.dropBorrow(t, b, wire.EventReturn, "", r.Now)
	return Result{Reply: wire.ReturnReply{Returned: true}}
}

// dropBorrow ends a borrow, recording a kind event with detail.
func (e *Engine) dropBorrow(t *txn, b *store.Borrow, kind, detail string, now time.Time) {
	delete(e.borrows, b.ID)
	e.hold(b.Feature, b.User, b.Host, -1, true)
	e.freedOf(b.Feature)
	t.write(func(tx *store.Tx) { tx.DeleteBorrow(b.ID) })
	t.event(wire.Event{Time: now, Kind: kind, Feature: b.Feature, User: b.User, Host: b.Host,
		Session: b.Session, Checkout: b.ID, Count: 1, Detail: detail})
}

// GraceReport records a grace period a client used while no server was
// reachable. Grace licenses are not taken from the pool. A user, host and
// feature have one record: the latest activation reported replaces the one
// before, and a repeated or older report changes nothing. The server has
// checked the report against its signed token before submitting it.
type GraceReport struct {
	Now       time.Time
	Client    wire.Client
	TokenID   string
	Feature   string
	Activated time.Time
	Expires   time.Time
}

// graceKey names the one grace record of a user, host and feature.
type graceKey struct{ feature, user, host string }

func keyOf(g *store.Grace) graceKey { return graceKey{g.Feature, g.User, g.Host} }

func (g GraceReport) apply(e *Engine, t *txn) Result {
	f := e.feature(g.Feature)
	if f == nil {
		return refuse(wire.CodeUnknownFeature, "%s", e.unknownFeature(g.Feature))
	}
	if f.GraceHours == 0 {
		return refuse(wire.CodeGraceNotAllowed, "feature %s has no GRACE", g.Feature)
	}
	rec := &store.Grace{TokenID: g.TokenID, Feature: g.Feature, User: g.Client.User, Host: g.Client.Host,
		Activated: g.Activated, Expires: g.Expires, Reported: g.Now}
	if old := e.graces[keyOf(rec)]; old != nil && !old.Activated.Before(g.Activated) {
		return Result{Reply: wire.GraceReply{}} // told already, or a later one since
	}
	e.graces[keyOf(rec)] = rec
	t.write(func(tx *store.Tx) { tx.PutGrace(*rec) })
	ev := clientEvent(wire.EventGrace, g.Now, g.Client, g.Feature)
	ev.Checkout, ev.Detail = g.TokenID, "grace until "+g.Expires.Format(time.RFC3339)
	t.event(ev)
	return Result{Reply: wire.GraceReply{}}
}

// Reap reclaims the checkouts of those of Sessions whose lease ran out at
// Now (one heard from since is left alone), and every expired borrow, and
// forgets expired grace reports. The sessions are named, not searched for, so
// that a mass expiry is reclaimed a chunk per batch (see Due), and every
// replica reaps the same ones. Checkouts are those an options file's
// TIMEOUT reclaims (see Idle).
type Reap struct {
	Now       time.Time
	Sessions  []string
	Checkouts []string `json:",omitempty"`
}

func (r Reap) apply(e *Engine, t *txn) Result {
	n := e.reapIdle(t, r.Checkouts, r.Now)
	for _, id := range r.Sessions {
		s := e.sessions[id]
		// Replicated, the serving node decided: the others do not know
		// the leases (heartbeats are not replicated).
		if s == nil || !e.cfg.Replicated && r.Now.Before(s.leaseUntil) {
			continue
		}
		ids := make([]string, len(s.checkouts))
		for i, c := range s.checkouts {
			ids[i] = c.ID
		}
		n += e.release(t, s, ids, wire.EventExpire, "", r.Now)
		e.endSession(t, s, r.Now, "lease ran out")
	}
	// In id order, so that every node numbers the events alike.
	var borrows []*store.Borrow
	for _, b := range e.borrows {
		if !r.Now.Before(b.Expires) {
			borrows = append(borrows, b)
		}
	}
	slices.SortFunc(borrows, func(a, b *store.Borrow) int { return strings.Compare(a.ID, b.ID) })
	for _, b := range borrows {
		e.dropBorrow(t, b, wire.EventBorrowExpire, "", r.Now)
		n++
	}
	for k, g := range e.graces {
		if !r.Now.Before(g.Expires) {
			delete(e.graces, k)
			t.write(func(tx *store.Tx) { tx.DeleteGrace(g.TokenID) })
		}
	}
	e.dropHolds(t, r.Now)
	return Result{Reply: n}
}

// SetFeatures replaces the served features (a reload of the license files)
// and the options file's rules (Policy; nil: none). Checkouts of a feature
// that is gone or smaller stay until checked in; new checkouts are held to
// the new limits.
type SetFeatures struct {
	Now      time.Time
	Features []*Feature
	Policy   *policy.Policy `json:",omitempty"`
	Detail   string
	Kind     string // the event's kind: wire.EventReload when empty; a HAL node that starts serving records wire.EventStart
}

// SetFeaturesReply is what SetFeatures gives back: the features' names, and
// each feature left holding more than its new limits allow (see
// overCommitted).
type SetFeaturesReply struct {
	Names         []string
	Overcommitted []string
}

func (s SetFeatures) apply(e *Engine, t *txn) Result {
	e.setFeatures(s.Features)
	e.setPolicy(s.Policy)
	for _, f := range e.queuedFeatures() { // a COUNT raised, a feature gone
		e.qs.freed[f] = true
	}
	if e.cfg.Replicated {
		e.recordFeatures(t, s.Features, s.Policy)
	}
	kind := s.Kind
	if kind == "" {
		kind = wire.EventReload
	}
	t.event(wire.Event{Time: s.Now, Kind: kind, Detail: s.Detail})
	return Result{Reply: SetFeaturesReply{Names: Names(s.Features), Overcommitted: e.overCommitted()}}
}

// Names returns the features' names, in their order.
func Names(fs []*Feature) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return names
}

// Note records an event with no state change (a server start).
type Note struct {
	Now    time.Time
	Kind   string
	Detail string
}

func (n Note) apply(e *Engine, t *txn) Result {
	t.event(wire.Event{Time: n.Now, Kind: n.Kind, Detail: n.Detail})
	return Result{}
}
