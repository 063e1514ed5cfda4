package report

import (
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// Unknown marks a bucket of a Series that the events known do not reach.
const Unknown = -1

// Series returns the licenses of feature used (checked out plus borrowed)
// over the span that ends at to, in n equal buckets, oldest first: each the
// most used at once within it, or Unknown before the oldest of evs. used
// is the number a status told at the time at; evs are the events known,
// oldest first. Events after at bring used up to date; then undoing them
// newest first gives the level before each (the same walk as Compute's,
// on a live monitor's few events instead of the stored trail).
func Series(feature string, used int, at time.Time, evs []wire.Event, to time.Time, span time.Duration, n int) []int {
	out := make([]int, max(n, 0))
	for i := range out {
		out[i] = Unknown
	}
	if n <= 0 || span <= 0 {
		return out
	}
	delta := func(e wire.Event) int {
		sign, _ := change(e)
		if e.Feature != feature {
			return 0
		}
		return sign * max(e.Count, 1)
	}
	level := used
	for _, e := range evs {
		if e.Time.After(at) {
			level += delta(e)
		}
	}
	from := to.Add(-span)
	fill := func(a, b time.Time, v int) { // v held over (a, b]
		if !b.After(from) || !a.Before(to) {
			return
		}
		i, j := bucket(a, from, span, n), bucket(b, from, span, n)
		for k := i; k <= j; k++ {
			out[k] = max(out[k], max(v, 0))
		}
	}
	cursor := to
	for k := len(evs) - 1; k >= 0; k-- {
		e := evs[k]
		if d := delta(e); d != 0 {
			fill(e.Time, cursor, level)
			level -= d
			if e.Time.Before(cursor) {
				cursor = e.Time
			}
		}
	}
	if len(evs) > 0 {
		fill(evs[0].Time, cursor, level)
	}
	return out
}

// bucket is the index of t's bucket, clipped to the span.
func bucket(t, from time.Time, span time.Duration, n int) int {
	i := int(int64(t.Sub(from)) * int64(n) / int64(span))
	return min(max(i, 0), n-1)
}
