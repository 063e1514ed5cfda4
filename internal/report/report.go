// Package report computes the usage report of `licstat report` and
// GET /v1/report from the audit trail: per feature the peak and the
// time-weighted average of licenses used and the intervals in which all
// were used; license-hours per user, host or feature; denials by code and
// user; borrows and grace reports. It is pure: the server reads the data
// (package store) and hands it over.
//
// Design: the state at the start of the period is not stored anywhere, so
// it is derived backwards. The input holds what is out of the pool now (the
// checkouts and borrows tables) and every event from the period's start
// up to now, read in one transaction so that they agree. Undoing the events
// newest first (a grant removes its checkout, a release puts it back, with
// the user, host and count its event carries) leaves what was out of the
// pool when the period began — exactly, however long before the period a
// license was taken out. Then the events are replayed forwards across the
// period. The trail keeps only the newest KeepEvents events: a period that
// starts before the oldest event stored is reported from that event on
// (Report.From, with a note), since nothing before it is known.
package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// Holding is a checkout or a borrow out of the pool when the input was read.
type Holding struct {
	ID      string // checkout or borrow id, as the events name it
	Feature string
	User    string
	Host    string
	Count   int
	Borrow  bool
}

// Feature is a served feature and its COUNT.
type Feature struct {
	Name  string
	Count int
}

// Input is what a report is computed from.
type Input struct {
	Since, Until time.Time
	Feature      string // only this feature; empty: all
	By           string // wire.ByUser (default), ByHost or ByFeature
	Features     []Feature
	Held         []Holding
	// Events are every stored event from the first at or after Since up to
	// when Held was read, in sequence order. Earlier ones are skipped.
	Events []wire.Event
	// Oldest is the time of the oldest event stored; zero when none is.
	Oldest time.Time
}

// Compute returns the report of in.
func Compute(in Input) wire.Report {
	if in.By == "" {
		in.By = wire.ByUser
	}
	rep := wire.Report{Since: in.Since, From: in.Since, Until: in.Until, Feature: in.Feature, By: in.By}
	if in.Oldest.After(in.Since) {
		rep.From = in.Oldest
		rep.Note = fmt.Sprintf("the audit trail starts at %s (older events were pruned, or the server had not run yet): the report starts there",
			in.Oldest.UTC().Format(time.RFC3339))
	}
	if rep.Until.Before(rep.From) {
		rep.Until = rep.From
	}
	evs := in.Events
	i := slices.IndexFunc(evs, func(e wire.Event) bool { return !e.Time.Before(rep.From) })
	if i < 0 {
		i = len(evs)
	}
	evs = evs[i:]
	r := newReplay(in, rep.From)
	r.undo(evs)
	r.start()
	for _, e := range evs {
		if e.Time.After(rep.Until) {
			break
		}
		r.apply(e)
	}
	r.finish(rep.Until)
	r.fill(&rep)
	return rep
}

// changes are the event kinds that take a license out of the pool (+1) or
// put one back (-1); the borrow kinds are borrows.
var changes = map[string]struct {
	sign   int
	borrow bool
}{
	wire.EventGrant:        {+1, false},
	wire.EventRelease:      {-1, false},
	wire.EventExpire:       {-1, false},
	wire.EventRemove:       {-1, false},
	wire.EventTimeout:      {-1, false},
	wire.EventBorrow:       {+1, true},
	wire.EventReturn:       {-1, true},
	wire.EventBorrowExpire: {-1, true},
}

// change says how e moves licenses: sign +1 out of the pool, -1 back, 0
// not at all. An admin's remove is a borrow when it revoked one (its
// detail says so): the kind is the same as for a checkout.
func change(e wire.Event) (sign int, borrow bool) {
	c, ok := changes[e.Kind]
	if !ok {
		return 0, false
	}
	if e.Kind == wire.EventRemove && strings.HasPrefix(e.Detail, revokedBorrow) {
		return c.sign, true
	}
	return c.sign, c.borrow
}

// revokedBorrow starts the detail of a remove event that revoked a borrow
// (package engine).
const revokedBorrow = "borrow revoked"

func holdingOf(e wire.Event, borrow bool) Holding {
	return Holding{ID: e.Checkout, Feature: e.Feature, User: e.User, Host: e.Host, Count: max(e.Count, 1), Borrow: borrow}
}

// round3 keeps three decimals, so that JSON shows 2.5, not 2.4999999.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func hours(d time.Duration) float64 { return d.Hours() }

func sortedBy[T any](xs []T, cmps ...func(a, b T) int) {
	slices.SortFunc(xs, func(a, b T) int {
		for _, c := range cmps {
			if n := c(a, b); n != 0 {
				return n
			}
		}
		return 0
	})
}
