package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// meter integrates a level over time: license-hours.
type meter struct {
	level int
	last  time.Time
	acc   time.Duration // level × time, in license-nanoseconds
}

// add moves the meter to t (never back) and changes its level by delta.
func (m *meter) add(t time.Time, delta int) {
	if d := t.Sub(m.last); d > 0 {
		m.acc += time.Duration(m.level) * d
	}
	if t.After(m.last) {
		m.last = t
	}
	m.level += delta
}

// featureState is one feature's pool during the replay.
type featureState struct {
	count     int
	used      meter
	peak      int
	exhausted []wire.Interval
	open      bool // an exhausted interval is open (its end not yet known)
}

type pair struct{ feature, user string }

type denialKey struct{ feature, code, user string }

// replay walks the period's events, keeping what is out of the pool and
// the meters and counts the report is made of.
type replay struct {
	in       Input
	from     time.Time
	held     map[string]Holding
	features map[string]*featureState
	usage    map[string]*meter // checkouts by user, host or feature
	grants   map[string]int
	borrowed map[pair]*meter
	borrows  map[pair]int
	denials  map[denialKey]int
	graces   map[pair]int
}

func newReplay(in Input, from time.Time) *replay {
	r := &replay{in: in, from: from, held: map[string]Holding{}, features: map[string]*featureState{},
		usage: map[string]*meter{}, grants: map[string]int{}, borrowed: map[pair]*meter{},
		borrows: map[pair]int{}, denials: map[denialKey]int{}, graces: map[pair]int{}}
	for _, f := range in.Features {
		if r.wanted(f.Name) {
			r.feature(f.Name).count = f.Count
		}
	}
	for _, h := range in.Held {
		if r.wanted(h.Feature) {
			r.held[h.ID] = h
		}
	}
	return r
}

func (r *replay) wanted(feature string) bool { return r.in.Feature == "" || r.in.Feature == feature }

func (r *replay) feature(name string) *featureState {
	f := r.features[name]
	if f == nil {
		f = &featureState{used: meter{last: r.from}}
		r.features[name] = f
	}
	return f
}

// undo takes evs back, newest first, from what is held now: what is left
// is what was held at the first of them.
func (r *replay) undo(evs []wire.Event) {
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		sign, borrow := change(e)
		if sign == 0 || !r.wanted(e.Feature) {
			continue
		}
		if sign > 0 {
			delete(r.held, e.Checkout)
		} else {
			r.held[e.Checkout] = holdingOf(e, borrow)
		}
	}
}

// start sets the meters to what was held at the period's start.
func (r *replay) start() {
	ids := make([]string, 0, len(r.held))
	for id := range r.held {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r.take(r.from, r.held[id], +1)
	}
	for _, f := range r.features {
		r.mark(f, r.from)
	}
}

// key is the usage row a holding counts for.
func (r *replay) key(h Holding) string {
	switch r.in.By {
	case wire.ByHost:
		return h.Host
	case wire.ByFeature:
		return h.Feature
	}
	return h.User
}

// take moves h's licenses out of the pool (sign +1) or back (-1) at t.
func (r *replay) take(t time.Time, h Holding, sign int) {
	r.feature(h.Feature).used.add(t, sign*h.Count)
	if h.Borrow {
		p := pair{h.Feature, h.User}
		m := r.borrowed[p]
		if m == nil {
			m = &meter{last: r.from}
			r.borrowed[p] = m
		}
		m.add(t, sign*h.Count)
		return
	}
	m := r.usage[r.key(h)]
	if m == nil {
		m = &meter{last: r.from}
		r.usage[r.key(h)] = m
	}
	m.add(t, sign*h.Count)
}

// mark notes f's peak, and opens or closes an exhausted interval at t.
func (r *replay) mark(f *featureState, t time.Time) {
	f.peak = max(f.peak, f.used.level)
	full := f.count > 0 && f.used.level >= f.count
	switch {
	case full && !f.open:
		if n := len(f.exhausted); n > 0 && f.exhausted[n-1].End.Equal(t) {
			f.exhausted[n-1].End = time.Time{} // given back and taken again at one instant: one interval
		} else {
			f.exhausted = append(f.exhausted, wire.Interval{Start: t})
		}
		f.open = true
	case !full && f.open:
		f.exhausted[len(f.exhausted)-1].End = t
		f.open = false
	}
}

// apply replays one event of the period.
func (r *replay) apply(e wire.Event) {
	if !r.wanted(e.Feature) {
		return
	}
	if sign, borrow := change(e); sign != 0 {
		r.change(e, sign, borrow)
		return
	}
	switch e.Kind {
	case wire.EventDeny:
		r.denials[denialKey{e.Feature, e.Code, e.User}]++
	case wire.EventGrace:
		r.graces[pair{e.Feature, e.User}]++
	}
}

func (r *replay) change(e wire.Event, sign int, borrow bool) {
	t := e.Time
	if f := r.features[e.Feature]; f != nil && t.Before(f.used.last) {
		t = f.used.last // a clock set back: time does not run backwards here
	}
	h, held := r.held[e.Checkout]
	if sign > 0 {
		if held {
			return // seen already: a duplicate
		}
		h = holdingOf(e, borrow)
		r.held[h.ID] = h
		if borrow {
			r.borrows[pair{h.Feature, h.User}]++
		} else {
			r.grants[r.key(h)]++
		}
	} else {
		if !held {
			return // not out of the pool: nothing to put back
		}
		delete(r.held, h.ID)
	}
	r.take(t, h, sign)
	r.mark(r.feature(h.Feature), t)
}

// finish runs every meter to until and closes open intervals there.
func (r *replay) finish(until time.Time) {
	for _, f := range r.features {
		f.used.add(until, 0)
		if f.open {
			f.exhausted[len(f.exhausted)-1].End = until
		}
	}
	for _, m := range r.usage {
		m.add(until, 0)
	}
	for _, m := range r.borrowed {
		m.add(until, 0)
	}
}

// fill writes the replay's results into rep, in a stable order.
func (r *replay) fill(rep *wire.Report) {
	span := rep.Until.Sub(rep.From)
	rep.Features = []wire.FeatureUse{}
	for name, f := range r.features {
		fu := wire.FeatureUse{Feature: name, Count: f.count, Peak: f.peak, Hours: round3(hours(f.used.acc)),
			Exhausted: dropEmpty(f.exhausted)}
		if span > 0 {
			fu.Average = round3(float64(f.used.acc) / float64(span))
		}
		rep.Features = append(rep.Features, fu)
	}
	sortedBy(rep.Features, func(a, b wire.FeatureUse) int { return strings.Compare(a.Feature, b.Feature) })
	rep.Usage = []wire.UsageRow{}
	for k, m := range r.usage {
		if m.acc > 0 || r.grants[k] > 0 {
			rep.Usage = append(rep.Usage, wire.UsageRow{Key: k, Hours: round3(hours(m.acc)), Checkouts: r.grants[k]})
		}
	}
	sortedBy(rep.Usage, func(a, b wire.UsageRow) int { return cmp.Compare(b.Hours, a.Hours) },
		func(a, b wire.UsageRow) int { return strings.Compare(a.Key, b.Key) })
	rep.Denials = []wire.DenialRow{}
	for k, n := range r.denials {
		rep.Denials = append(rep.Denials, wire.DenialRow{Feature: k.feature, Code: k.code, User: k.user, Count: n})
	}
	sortedBy(rep.Denials, func(a, b wire.DenialRow) int { return strings.Compare(a.Feature, b.Feature) },
		func(a, b wire.DenialRow) int { return strings.Compare(a.Code, b.Code) },
		func(a, b wire.DenialRow) int { return strings.Compare(a.User, b.User) })
	rep.Borrows = []wire.BorrowUse{}
	for p, m := range r.borrowed {
		if m.acc > 0 || r.borrows[p] > 0 {
			rep.Borrows = append(rep.Borrows, wire.BorrowUse{Feature: p.feature, User: p.user, Borrows: r.borrows[p], Hours: round3(hours(m.acc))})
		}
	}
	sortedBy(rep.Borrows, func(a, b wire.BorrowUse) int { return strings.Compare(a.Feature, b.Feature) },
		func(a, b wire.BorrowUse) int { return strings.Compare(a.User, b.User) })
	rep.Graces = []wire.GraceUse{}
	for p, n := range r.graces {
		rep.Graces = append(rep.Graces, wire.GraceUse{Feature: p.feature, User: p.user, Reports: n})
	}
	sortedBy(rep.Graces, func(a, b wire.GraceUse) int { return strings.Compare(a.Feature, b.Feature) },
		func(a, b wire.GraceUse) int { return strings.Compare(a.User, b.User) })
}

// dropEmpty leaves out intervals of no length (a license taken and given
// back at one instant), and returns [] rather than nil for JSON.
func dropEmpty(ivs []wire.Interval) []wire.Interval {
	out := []wire.Interval{}
	for _, iv := range ivs {
		if iv.End.After(iv.Start) {
			out = append(out, iv)
		}
	}
	return out
}
