package engine

import (
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// Status fills the ledger's part of a status reply at now: features, live
// checkouts, borrows and grace periods in use, each sorted for stable output.
//
// Every heartbeat and commit waits while the ledger is locked, and a site
// can hold 100,000 checkouts, so under the lock Status copies only what can
// change (a session's heartbeat and lease) and pointers to the rest, which
// never changes once made: a checkout's fields and a session's user, host,
// pid and handle. The rows are sorted and filled in after, yielding the
// processor now and then: licd may run its Go code on one core.
func (e *Engine) Status(now time.Time, st *wire.Status) {
	rows := e.copyStatus(now, st)
	slices.SortFunc(rows, func(a, b checkoutRow) int {
		if c := a.checkout.Since.Compare(b.checkout.Since); c != 0 {
			return c
		}
		return strings.Compare(a.checkout.ID, b.checkout.ID)
	})
	st.Checkouts = make([]wire.CheckoutInfo, len(rows))
	for i, r := range rows {
		if i%1024 == 1023 {
			runtime.Gosched() // let requests in between; see Status's comment
		}
		c, s := r.checkout, r.session
		st.Checkouts[i] = wire.CheckoutInfo{ID: c.ID, Feature: c.Feature, Version: c.Version,
			Count: c.Count, User: s.User, Host: s.Host, PID: s.PID, Session: s.handle, Since: c.Since,
			LastHeartbeat: r.lastHeartbeat, LeaseUntil: r.leaseUntil}
	}
	slices.SortFunc(st.Borrows, func(a, b wire.BorrowInfo) int { return a.Expires.Compare(b.Expires) })
	st.Queue = e.queueStatus()
	slices.SortFunc(st.Graces, func(a, b wire.GraceInfo) int { return a.Expires.Compare(b.Expires) })
}

// checkoutRow is what Status copies of a checkout under the lock.
type checkoutRow struct {
	checkout                  *store.Checkout
	session                   *session
	lastHeartbeat, leaseUntil time.Time
}

// copyStatus copies the ledger's state under its read lock: features,
// borrows and graces into st, checkouts as rows.
func (e *Engine) copyStatus(now time.Time, st *wire.Status) []checkoutRow {
	// The rows are allocated before the lock is taken: allocating megabytes
	// can make this goroutine help the garbage collector first.
	e.mu.RLock()
	n := len(e.checkouts)
	e.mu.RUnlock()
	rows := make([]checkoutRow, 0, n+n/16)
	e.mu.RLock()
	defer e.mu.RUnlock()
	st.Graces = []wire.GraceInfo{}
	for _, g := range e.graces {
		if now.Before(g.Expires) {
			st.Graces = append(st.Graces, wire.GraceInfo{TokenID: g.TokenID, Feature: g.Feature,
				User: g.User, Host: g.Host, Activated: g.Activated, Expires: g.Expires})
		}
	}
	st.Features = e.featureStatus(now)
	st.Policy = e.policyInfo()
	for _, s := range e.sessions { // by session: no lookup a checkout
		for _, c := range s.checkouts {
			rows = append(rows, checkoutRow{checkout: c, session: s, lastHeartbeat: s.LastHeartbeat, leaseUntil: s.leaseUntil})
		}
	}
	st.Borrows = make([]wire.BorrowInfo, 0, len(e.borrows))
	for _, b := range e.borrows {
		st.Borrows = append(st.Borrows, wire.BorrowInfo{ID: b.ID, Feature: b.Feature, User: b.User,
			Host: b.Host, Since: b.Since, Expires: b.Expires})
	}
	return rows
}

// FeatureStatus returns the served features and their use at now, sorted
// by name: the part of Status that /metrics needs, without listing every
// checkout.
func (e *Engine) FeatureStatus(now time.Time) []wire.FeatureStatus {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.featureStatus(now)
}

func (e *Engine) featureStatus(now time.Time) []wire.FeatureStatus {
	graceInUse := map[string]int{}
	for _, g := range e.graces {
		if now.Before(g.Expires) {
			graceInUse[g.Feature]++
		}
	}
	features := *e.features.Load()
	out := make([]wire.FeatureStatus, 0, len(features))
	for _, f := range features {
		fs := wire.FeatureStatus{Name: f.Name, Version: f.Version, Count: f.Count, Expires: f.Expire,
			Grace: graceInUse[f.Name], GraceHours: f.GraceHours, BorrowHours: f.BorrowHours}
		if u := e.use[f.Name]; u != nil {
			fs.InUse, fs.Borrowed = u.inUse, u.borrowed
		}
		out = append(out, fs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
