package engine

import (
	"slices"
	"strings"

	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// selects reports whether the remove names checkouts by user, host or
// feature (licstat remove --user/--host/--feature).
func (r Remove) selects() bool { return r.User != "" || r.Host != "" || r.Feature != "" }

func (r Remove) matches(user, host, feature string) bool {
	return (r.User == "" || r.User == user) && (r.Host == "" || r.Host == host) &&
		(r.Feature == "" || r.Feature == feature)
}

// byDetail is the events' note of who removed.
func (r Remove) byDetail() string {
	if r.By == "" {
		return "by an admin"
	}
	return "by " + r.By
}

// removeMatching removes every checkout and queued request that matches the
// user, host and feature, in session then checkout id order, and records
// the hold. The sessions stay: their clients learn of the removal at their
// next heartbeat, and checking out again is refused while the hold lasts.
func (e *Engine) removeMatching(t *txn, r Remove) Result {
	reply := wire.RemoveReply{}
	for _, s := range e.sortedSessions() {
		var ids []string
		for _, c := range s.checkouts {
			if r.matches(s.User, s.Host, c.Feature) {
				ids = append(ids, c.ID)
				reply.Checkouts = append(reply.Checkouts, wire.RemovedCheckout{ID: c.ID, Feature: c.Feature,
					User: s.User, Host: s.Host, Count: c.Count})
			}
		}
		slices.Sort(ids)
		e.release(t, s, ids, wire.EventRemove, r.byDetail(), r.Now)
		reply.Removed += len(ids)
	}
	slices.SortFunc(reply.Checkouts, func(a, b wire.RemovedCheckout) int { return strings.Compare(a.ID, b.ID) })
	reply.Dequeued = e.dequeueWhere(t, r.Now, "removed "+r.byDetail(), func(f string, q *store.Queued) bool {
		s := e.sessions[q.Session]
		return s != nil && r.matches(s.User, s.Host, f)
	})
	if !r.HoldUntil.IsZero() && r.HoldUntil.After(r.Now) {
		h := &store.Hold{ID: r.HoldID, User: r.User, Host: r.Host, Feature: r.Feature, Until: r.HoldUntil, By: r.By}
		e.qs.holds[h.ID] = h
		t.write(func(tx *store.Tx) { tx.InsertHold(*h) })
		until := h.Until
		reply.HoldUntil = &until
	}
	return Result{Reply: reply}
}

func (e *Engine) sortedSessions() []*session {
	out := make([]*session, 0, len(e.sessions))
	for _, s := range e.sessions {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *session) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// revokeBorrow takes a borrow back: its seat returns to the pool. The
// borrower's token cannot be recalled offline; the client learns of it
// when it next asks a server about the borrow.
func (e *Engine) revokeBorrow(t *txn, r Remove) Result {
	b := e.borrows[r.BorrowID]
	if b == nil {
		return refuse(wire.CodeUnknownBorrow, "borrow %s is not held here (returned, expired or never made)", r.BorrowID)
	}
	info := wire.BorrowInfo{ID: b.ID, Feature: b.Feature, User: b.User, Host: b.Host, Since: b.Since, Expires: b.Expires}
	// package report tells a revoked borrow from a removed checkout by this prefix
	e.dropBorrow(t, b, wire.EventRemove, "borrow revoked "+r.byDetail(), r.Now)
	return Result{Reply: wire.RemoveReply{Borrow: &info}}
}
