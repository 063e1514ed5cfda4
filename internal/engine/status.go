package engine

import (
	"sort"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// Status fills the ledger's part of a status reply at now: features, live
// checkouts, borrows and grace periods in use, each sorted for stable output.
func (e *Engine) Status(now time.Time, st *wire.Status) {
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
	st.Checkouts = make([]wire.CheckoutInfo, 0, len(e.checkouts))
	for _, c := range e.checkouts {
		s := e.sessions[c.Session]
		st.Checkouts = append(st.Checkouts, wire.CheckoutInfo{ID: c.ID, Feature: c.Feature, Version: c.Version,
			Count: c.Count, User: s.User, Host: s.Host, PID: s.PID, Session: s.ID, Since: c.Since,
			LastHeartbeat: s.LastHeartbeat, LeaseUntil: s.leaseUntil})
	}
	st.Borrows = make([]wire.BorrowInfo, 0, len(e.borrows))
	for _, b := range e.borrows {
		st.Borrows = append(st.Borrows, wire.BorrowInfo{ID: b.ID, Feature: b.Feature, User: b.User,
			Host: b.Host, Since: b.Since, Expires: b.Expires})
	}
	sort.Slice(st.Checkouts, func(i, j int) bool {
		a, b := st.Checkouts[i], st.Checkouts[j]
		if !a.Since.Equal(b.Since) {
			return a.Since.Before(b.Since)
		}
		return a.ID < b.ID
	})
	sort.Slice(st.Borrows, func(i, j int) bool { return st.Borrows[i].Expires.Before(st.Borrows[j].Expires) })
	sort.Slice(st.Graces, func(i, j int) bool { return st.Graces[i].Expires.Before(st.Graces[j].Expires) })
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
