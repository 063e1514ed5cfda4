package clientstate

import (
	"slices"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// FormatVersion is the version of the state file's layout.
const FormatVersion = 1

// Windback is how far the clock may go back behind the latest time seen
// before grace and borrow refuse to run (small steps are NTP corrections).
const Windback = 5 * time.Minute

// State is the content of the state file. Records are per user and host, so
// a directory shared by mistake does not mix users up.
type State struct {
	Version int `json:"version"`
	// LastSeen is the latest time a client has seen, for clock windback.
	LastSeen time.Time `json:"last_seen,omitzero"`
	Graces   []Grace   `json:"graces,omitempty"`
	Borrows  []Borrow  `json:"borrows,omitempty"`
	// Reports are grace activations the server has not heard of yet.
	Reports []Report `json:"reports,omitempty"`
}

// Report is a grace activation to tell the server about, with the token
// activated, which the server checks the report against.
type Report struct {
	User      string    `json:"user"`
	Host      string    `json:"host"`
	Feature   string    `json:"feature"`
	Token     string    `json:"token"`
	TokenID   string    `json:"token_id"`
	Activated time.Time `json:"activated"`
	Expires   time.Time `json:"expires"`
}

// ReportsOf returns the pending reports of user@host.
func (s *State) ReportsOf(user, host string) []Report {
	var out []Report
	for _, r := range s.Reports {
		if r.User == user && r.Host == host {
			out = append(out, r)
		}
	}
	return out
}

// DeleteReport removes the pending report of tokenID.
func (s *State) DeleteReport(tokenID string) {
	s.Reports = slices.DeleteFunc(s.Reports, func(r Report) bool { return r.TokenID == tokenID })
}

// CheckClock returns a clock_windback error when now is more than Windback
// before the latest time seen.
func (s *State) CheckClock(now time.Time) error {
	if !s.LastSeen.IsZero() && now.Before(s.LastSeen.Add(-Windback)) {
		return wire.Errorf(wire.CodeClockWindback,
			"the clock reads %s but this user's client has already seen %s: the clock was set back, so grace and borrowed licenses are refused until it is right again",
			now.Format(time.RFC3339), s.LastSeen.Format(time.RFC3339))
	}
	return nil
}

// ObserveStep is how far the clock must have moved past LastSeen before
// Observe records it: finer steps would cost a write for nothing, as
// windback is only refused beyond Windback.
const ObserveStep = time.Minute

// Observe checks now with CheckClock and records it as seen when it is
// more than ObserveStep past LastSeen (LastSeen only moves forward). It
// reports whether LastSeen moved.
func (s *State) Observe(now time.Time) (moved bool, err error) {
	if err := s.CheckClock(now); err != nil {
		return false, err
	}
	if s.LastSeen.IsZero() || now.After(s.LastSeen.Add(ObserveStep)) {
		s.LastSeen = now.UTC()
		return true, nil
	}
	return false, nil
}

// Grace returns the grace record of user@host for feature, or nil.
func (s *State) Grace(user, host, feature string) *Grace {
	for i := range s.Graces {
		g := &s.Graces[i]
		if g.User == user && g.Host == host && g.Feature == feature {
			return g
		}
	}
	return nil
}

// GracesOf returns the grace records of user@host, sorted by feature.
func (s *State) GracesOf(user, host string) []Grace {
	var out []Grace
	for _, g := range s.Graces {
		if g.User == user && g.Host == host {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b Grace) int { return cmpString(a.Feature, b.Feature) })
	return out
}

// StoreGraceToken keeps tok, an inactive grace token, as the newest token of
// user@host for feature, with the addresses of the server that issued it. An
// activation in progress or in its cooldown is kept: a new token never
// resets a grace expiry.
func (s *State) StoreGraceToken(user, host, feature, tok string, servers []string, now time.Time) {
	g := s.Grace(user, host, feature)
	if g == nil {
		s.Graces = append(s.Graces, Grace{User: user, Host: host, Feature: feature})
		g = &s.Graces[len(s.Graces)-1]
	}
	g.Token, g.Servers, g.Stored = tok, servers, now.UTC()
	if !g.Activated.IsZero() && !now.Before(g.CooldownUntil()) {
		g.clearActivation()
	}
}

// Borrow returns the borrow of user@host for feature, or nil.
func (s *State) Borrow(user, host, feature string) *Borrow {
	for i := range s.Borrows {
		b := &s.Borrows[i]
		if b.User == user && b.Host == host && b.Feature == feature {
			return b
		}
	}
	return nil
}

// BorrowsOf returns the borrows of user@host, sorted by feature.
func (s *State) BorrowsOf(user, host string) []Borrow {
	var out []Borrow
	for _, b := range s.Borrows {
		if b.User == user && b.Host == host {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b Borrow) int { return cmpString(a.Feature, b.Feature) })
	return out
}

// PutBorrow stores b, replacing the borrow of the same user, host and feature.
func (s *State) PutBorrow(b Borrow) {
	if old := s.Borrow(b.User, b.Host, b.Feature); old != nil {
		*old = b
		return
	}
	s.Borrows = append(s.Borrows, b)
}

// DeleteBorrow removes the borrow of user@host for feature, if any.
func (s *State) DeleteBorrow(user, host, feature string) {
	s.Borrows = slices.DeleteFunc(s.Borrows, func(b Borrow) bool {
		return b.User == user && b.Host == host && b.Feature == feature
	})
}

// PruneBorrows removes every borrow that expired before now.
func (s *State) PruneBorrows(now time.Time) {
	s.Borrows = slices.DeleteFunc(s.Borrows, func(b Borrow) bool { return !now.Before(b.Expires) })
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
