package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// Queueing: a checkout request that asks to wait (Checkout.Queue) and is
// refused only for now (no license free, or a policy limit that a release
// may lift) joins its feature's queue instead, first come first served.
// The entry belongs to the session, as a checkout does: it leaves with the
// session (checkin of all, the lease running out, an admin's remove) or by
// a cancel. Whenever a command frees licenses of a feature, the queue's
// heads are granted at the end of that command, in the same batch, through
// admit, in queue order: deterministic, so every HAL node grants alike.
// The queue is in the store, so a restart or a reread keeps it.

// queueable reports whether a refusal is "not now", which a release may
// lift: such a request may wait; any other refusal is final.
func queueable(code string) bool {
	switch code {
	case wire.CodeCountExhausted, wire.CodeReserved, wire.CodeMaxReached:
		return true
	}
	return false
}

// queueState is the engine's queues and holds, on Engine.mu.
type queueState struct {
	queues   map[string][]*store.Queued // by feature, in seq order
	queueSeq int64                      // the last seq given
	inQueue  map[string]int             // entries per session id
	freed    map[string]bool            // features whose queue may now be served
	holds    map[string]*store.Hold
}

func (e *Engine) loadQueue(snap *store.Snapshot) {
	e.qs = queueState{queues: map[string][]*store.Queued{}, inQueue: map[string]int{},
		freed: map[string]bool{}, holds: map[string]*store.Hold{}}
	for i := range snap.Queue {
		q := &snap.Queue[i]
		if e.sessions[q.Session] == nil { // cannot happen through the engine
			continue
		}
		e.qs.queues[q.Feature] = append(e.qs.queues[q.Feature], q)
		e.qs.inQueue[q.Session]++
		e.qs.queueSeq = max(e.qs.queueSeq, q.Seq)
	}
	for i := range snap.Holds {
		h := &snap.Holds[i]
		e.qs.holds[h.ID] = h
	}
}

// queued returns the session's queued request of feature with requestID.
func (e *Engine) queued(session, feature, requestID string) (*store.Queued, int) {
	for i, q := range e.qs.queues[feature] {
		if q.Session == session && q.RequestID == requestID {
			return q, i
		}
	}
	return nil, -1
}

func (e *Engine) queuedReply(feature string, pos int) wire.CheckoutReply {
	return wire.CheckoutReply{Feature: feature, Queued: true, Position: pos + 1, QueueLength: len(e.qs.queues[feature])}
}

// enqueue puts a checkout request at the end of its feature's queue, and
// serves the queue at once: licenses may be free that the entries ahead
// cannot take (a policy limit of theirs). It returns the reply: queued, or
// the checkout when it was granted.
func (e *Engine) enqueue(t *txn, c Checkout, s *session, n int) Result {
	e.qs.queueSeq++
	q := &store.Queued{Seq: e.qs.queueSeq, Session: s.ID, RequestID: c.RequestID, CheckoutID: c.CheckoutID,
		Feature: c.Feature, Version: c.Version, Count: n, Since: c.Now}
	e.qs.queues[q.Feature] = append(e.qs.queues[q.Feature], q)
	e.qs.inQueue[s.ID]++
	t.write(func(tx *store.Tx) { tx.InsertQueued(*q) })
	ev := clientEvent(wire.EventQueue, c.Now, c.Client, c.Feature)
	ev.Count, ev.Detail = n, fmtPosition(len(e.qs.queues[q.Feature]), len(e.qs.queues[q.Feature]))
	t.event(ev)
	e.serveQueue(t, c.Now, q.Feature)
	if co := s.byRequest(c.RequestID); co != nil {
		return Result{Reply: e.checkoutReply(co, s, c.Now)}
	}
	_, i := e.queued(s.ID, c.Feature, c.RequestID)
	return Result{Reply: e.queuedReply(c.Feature, i)}
}

func fmtPosition(pos, of int) string { return fmt.Sprintf("position %d of %d", pos, of) }

// unrecord drops the batch's last event: admit records a denial, which a
// request that waits instead is not.
func (t *txn) unrecord() {
	t.events = t.events[:len(t.events)-1]
	t.e.seq--
}

// dequeue takes entry i of feature's queue out, recording why.
func (e *Engine) dequeue(t *txn, now time.Time, feature string, i int, kind, detail string) {
	qs := e.qs.queues[feature]
	q := qs[i]
	e.qs.queues[feature] = slices.Delete(qs, i, i+1)
	if len(e.qs.queues[feature]) == 0 {
		delete(e.qs.queues, feature)
	}
	if e.qs.inQueue[q.Session]--; e.qs.inQueue[q.Session] <= 0 {
		delete(e.qs.inQueue, q.Session)
	}
	t.write(func(tx *store.Tx) { tx.DeleteQueued(q.Seq) })
	if kind == "" {
		return
	}
	s := e.sessions[q.Session]
	ev := wire.Event{Time: now, Kind: kind, Feature: feature, Session: q.Session, Count: q.Count, Detail: detail}
	if s != nil {
		ev.User, ev.Host = s.User, s.Host
	}
	t.event(ev)
}

// dequeueSession drops every queued request of a session that ends.
func (e *Engine) dequeueSession(t *txn, now time.Time, s *session, why string) {
	if e.qs.inQueue[s.ID] == 0 {
		return
	}
	e.dequeueWhere(t, now, why, func(_ string, q *store.Queued) bool { return q.Session == s.ID })
}

// dequeueWhere takes every queued request that match accepts out of its
// queue, recording why, and returns how many it took.
func (e *Engine) dequeueWhere(t *txn, now time.Time, why string, match func(feature string, q *store.Queued) bool) int {
	n := 0
	for _, f := range e.queuedFeatures() {
		for i := len(e.qs.queues[f]) - 1; i >= 0; i-- {
			if match(f, e.qs.queues[f][i]) {
				e.dequeue(t, now, f, i, wire.EventDequeue, why)
				e.qs.freed[f] = true // it may have held the others back
				n++
			}
		}
	}
	return n
}

func (e *Engine) queuedFeatures() []string {
	fs := make([]string, 0, len(e.qs.queues))
	for f := range e.qs.queues {
		fs = append(fs, f)
	}
	slices.Sort(fs)
	return fs
}

// freedOf notes that licenses of feature were released: its queue is
// served at the end of the command.
func (e *Engine) freedOf(feature string) {
	if len(e.qs.queues[feature]) > 0 {
		e.qs.freed[feature] = true
	}
}

// serveFreed serves the queues of the features freed by the command just
// applied, in name order (every node alike).
func (e *Engine) serveFreed(t *txn, now time.Time) {
	if len(e.qs.freed) == 0 {
		return
	}
	fs := make([]string, 0, len(e.qs.freed))
	for f := range e.qs.freed {
		fs = append(fs, f)
	}
	clear(e.qs.freed)
	slices.Sort(fs)
	for _, f := range fs {
		e.serveQueue(t, now, f)
	}
}

// serveQueue grants what it can of feature's queue, in order. It stops at
// the first entry short of licenses (count_exhausted), so that none behind
// it overtakes it; an entry held back by a policy limit of its own user
// lets those behind it go. An entry refused for good (its feature gone,
// expired, a hold) leaves the queue.
func (e *Engine) serveQueue(t *txn, now time.Time, feature string) {
	for i := 0; i < len(e.qs.queues[feature]); {
		q := e.qs.queues[feature][i]
		s := e.sessions[q.Session]
		if s == nil { // cannot happen: endSession dequeues
			e.dequeue(t, now, feature, i, "", "")
			continue
		}
		cl := wire.Client{Session: s.ID, User: s.User, Host: s.Host, PID: s.PID}
		if h := e.holdOf(now, cl, feature); h != nil {
			e.dequeue(t, now, feature, i, wire.EventDequeue, holdMessage(h, feature))
			continue
		}
		f, res := e.admit(t, now, cl, feature, q.Version, q.Count)
		if f == nil {
			t.unrecord() // the denial: a waiting entry is not denied
			switch {
			case res.Err.Code == wire.CodeCountExhausted:
				return
			case queueable(res.Err.Code):
				i++
				continue
			}
			e.dequeue(t, now, feature, i, wire.EventDequeue, res.Err.Error())
			continue
		}
		e.dequeue(t, now, feature, i, "", "")
		e.grantQueued(t, now, s, cl, f, q)
	}
}

func (e *Engine) grantQueued(t *txn, now time.Time, s *session, cl wire.Client, f *Feature, q *store.Queued) {
	co := &store.Checkout{ID: q.CheckoutID, Session: s.ID, RequestID: q.RequestID,
		Feature: f.Name, Version: f.Version, Count: q.Count, Since: now}
	s.checkouts = append(s.checkouts, co)
	e.checkouts[co.ID] = co
	e.hold(f.Name, s.User, s.Host, q.Count, false)
	t.write(func(tx *store.Tx) { tx.InsertCheckout(*co) })
	ev := clientEvent(wire.EventGrant, now, cl, f.Name)
	ev.Checkout, ev.Count, ev.Detail = co.ID, q.Count, "from the queue, waited "+now.Sub(q.Since).Round(time.Second).String()
	t.event(ev)
}

// cancelRequest takes a session's queued request out (Checkin.RequestID),
// or, when it was granted meanwhile, checks its checkout in: a client that
// gives up waiting leaves nothing behind either way. It returns how many
// it took out.
func (e *Engine) cancelRequest(t *txn, now time.Time, s *session, requestID string) int {
	for _, f := range e.queuedFeatures() {
		if _, i := e.queued(s.ID, f, requestID); i >= 0 {
			e.dequeue(t, now, f, i, wire.EventDequeue, "cancelled")
			e.qs.freed[f] = true
			return 1
		}
	}
	if co := s.byRequest(requestID); co != nil {
		return e.release(t, s, []string{co.ID}, wire.EventRelease, "", now)
	}
	return 0
}

// queueStatus lists the queues for status, by feature then position.
func (e *Engine) queueStatus() []wire.QueueInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []wire.QueueInfo
	for _, f := range e.queuedFeatures() {
		qs := e.qs.queues[f]
		for i, q := range qs {
			qi := wire.QueueInfo{Feature: f, Position: i + 1, Of: len(qs), Count: q.Count,
				Session: wire.SessionHandle(q.Session), Since: q.Since}
			if s := e.sessions[q.Session]; s != nil {
				qi.User, qi.Host, qi.Session = s.User, s.Host, s.handle
			}
			out = append(out, qi)
		}
	}
	return out
}

// QueueLength returns how many requests wait for feature.
func (e *Engine) QueueLength(feature string) int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.qs.queues[feature])
}

// holdOf returns a hold in force at now on the client taking feature.
func (e *Engine) holdOf(now time.Time, c wire.Client, feature string) *store.Hold {
	var found *store.Hold
	for _, h := range e.qs.holds {
		if now.Before(h.Until) && (h.User == "" || h.User == c.User) && (h.Host == "" || h.Host == c.Host) &&
			(h.Feature == "" || h.Feature == feature) && (found == nil || h.Until.After(found.Until)) {
			found = h
		}
	}
	return found
}

// holdMessage is a held caller's refusal: it names whom the hold is on (a
// hold by feature alone is on everyone) and who set it.
func holdMessage(h *store.Hold, feature string) string {
	var of string
	switch {
	case h.User != "" && h.Host != "":
		of = " of " + h.User + "@" + h.Host
	case h.User != "":
		of = " of " + h.User
	case h.Host != "":
		of = " on host " + h.Host
	}
	by := h.By
	if by == "" {
		by = "an admin"
	}
	return "the licenses of " + feature + of + " were removed by " + by +
		", who holds them off it until " + h.Until.UTC().Format(time.RFC3339)
}

// held refuses a checkout or borrow that a hold keeps off feature.
func (e *Engine) held(t *txn, now time.Time, c wire.Client, feature string, n int) (Result, bool) {
	h := e.holdOf(now, c, feature)
	if h == nil {
		return Result{}, false
	}
	r := refuse(wire.CodeRemovedHold, "%s", holdMessage(h, feature))
	ev := clientEvent(wire.EventDeny, now, c, feature)
	ev.Code, ev.Detail, ev.Count = wire.CodeRemovedHold, r.Err.Message, n
	t.event(ev)
	return r, true
}

// dropHolds forgets the holds that ended by now (Reap), in id order.
func (e *Engine) dropHolds(t *txn, now time.Time) {
	ids := make([]string, 0)
	for id, h := range e.qs.holds {
		if !now.Before(h.Until) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		delete(e.qs.holds, id)
		t.write(func(tx *store.Tx) { tx.DeleteHold(id) })
	}
}

// holdsDue reports whether a hold ended by now (for Due).
func (e *Engine) holdsDue(now time.Time) bool {
	for _, h := range e.qs.holds {
		if !now.Before(h.Until) {
			return true
		}
	}
	return false
}
