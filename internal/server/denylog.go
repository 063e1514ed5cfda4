package server

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// DefaultDenyLogInterval is how often repeated denials are summarised.
const DefaultDenyLogInterval = 10 * time.Second

// denyLog keeps contention from flooding the log: the first denial of a
// feature and code in an interval is logged at once, in full; the rest of
// that interval are counted and logged as one line when it ends, so a
// feature everyone wants costs two lines per interval, not one per try.
// The events stream and the metrics still see every denial.
type denyLog struct {
	log      *slog.Logger
	interval time.Duration

	mu   sync.Mutex
	open map[denyKey]*denyCount
}

type denyKey struct{ feature, code string }

// denyCount is an interval under way: when it began and the denials it
// holds back.
type denyCount struct {
	start time.Time
	n     int
	last  wire.Event
}

func newDenyLog(log *slog.Logger, interval time.Duration) *denyLog {
	if interval <= 0 {
		interval = DefaultDenyLogInterval
	}
	return &denyLog{log: log, interval: interval, open: map[denyKey]*denyCount{}}
}

// add logs or counts the denial e; first logs it in full.
func (d *denyLog) add(e wire.Event, first func(wire.Event)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := denyKey{e.Feature, e.Code}
	if c := d.open[k]; c != nil {
		if e.Time.Sub(c.start) < d.interval {
			c.n++
			c.last = e
			return
		}
		d.summarise(k, c)
	}
	d.open[k] = &denyCount{start: e.Time}
	first(e)
}

// flush logs the summary of every interval that ended by now.
func (d *denyLog) flush(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := make([]denyKey, 0, len(d.open))
	for k, c := range d.open {
		if now.Sub(c.start) >= d.interval {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].feature < keys[j].feature || (keys[i].feature == keys[j].feature && keys[i].code < keys[j].code)
	})
	for _, k := range keys {
		d.summarise(k, d.open[k])
	}
}

// summarise logs what c held back, if anything, and ends its interval.
func (d *denyLog) summarise(k denyKey, c *denyCount) {
	delete(d.open, k)
	if c.n == 0 {
		return
	}
	e := c.last
	msg := fmt.Sprintf("denied %d more requests for %s in %s: %s (last: user %s host %s)",
		c.n, k.feature, d.interval, k.code, e.User, e.Host)
	d.log.LogAttrs(context.Background(), slog.LevelWarn, msg, slog.String("kind", wire.EventDeny),
		slog.String("feature", k.feature), slog.String("code", k.code), slog.Int("count", c.n),
		slog.Time("since", c.start), slog.String("detail", e.Detail))
}
