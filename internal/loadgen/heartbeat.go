package loadgen

import (
	"context"
	"time"

	"github.com/floatlic/floatlic/licenses"
)

type beat struct {
	c   *licenses.Client
	due time.Time
}

// heartbeat makes every session heartbeat once per interval, session i at
// offset i/n of the interval, so the load is even. A scheduler hands the
// due heartbeats to the workers; latency counts from when each was due.
func (r *run) heartbeat(ctx context.Context, stop <-chan struct{}, start time.Time, sessions []*licenses.Client, worker func(func(*recorder))) {
	if len(sessions) == 0 {
		return
	}
	due := make(chan beat, 4*r.cfg.Workers)
	go schedule(stop, start, r.cfg.Interval, sessions, due)
	for range r.cfg.Workers {
		worker(func(rec *recorder) {
			for b := range due {
				if stopped(stop) {
					return
				}
				from := rec.started(b.due, time.Now())
				actx, arrival := withArrival(ctx)
				err := b.c.Heartbeat(actx)
				if ctx.Err() != nil {
					return
				}
				rec.observe(kindHeartbeat, from, time.Now(), *arrival, err)
				if err == nil {
					rec.done()
				}
			}
		})
	}
}

// schedule sends each session's heartbeats at start + round*interval +
// i*interval/n until stop, then closes due.
func schedule(stop <-chan struct{}, start time.Time, interval time.Duration, sessions []*licenses.Client, due chan<- beat) {
	defer close(due)
	n := len(sessions)
	for round := 0; ; round++ {
		base := start.Add(time.Duration(round) * interval)
		for i, c := range sessions {
			t := base.Add(time.Duration(int64(interval) * int64(i) / int64(n)))
			if !sleepUntil(stop, t) {
				return
			}
			select {
			case due <- beat{c, t}:
			case <-stop:
				return
			}
		}
	}
}
