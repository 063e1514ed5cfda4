package loadgen

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/floatlic/floatlic/licenses"
)

// errorPause is how long a closed-loop client waits after a refusal, so that
// a run against a full pool measures refusals, not a spin.
const errorPause = 10 * time.Millisecond

// churn starts one goroutine per churning client. Closed loop: each checks
// out and in again until stop. Open loop (Rate): pair i is due at start +
// i/rate, and a client that is free takes the next pair, sleeps until it is
// due and runs it; latency counts from the due time, so waiting for a free
// client shows as latency.
//
// The clients take the due times themselves rather than from a pacer
// goroutine: on a busy core the pacer waited its turn behind the clients
// after every wake-up, and every pair due meanwhile started late with it.
func (r *run) churn(ctx context.Context, stop <-chan struct{}, start time.Time, clients []*licenses.Client, worker func(func(*recorder))) {
	if len(clients) == 0 {
		return
	}
	if r.cfg.Rate <= 0 {
		for _, c := range clients {
			worker(func(rec *recorder) {
				for !stopped(stop) {
					if !r.pair(ctx, c, rec, time.Now()) {
						sleep(stop, errorPause)
					}
				}
			})
		}
		return
	}
	var next atomic.Int64 // the next pair to take
	for _, c := range clients {
		worker(func(rec *recorder) {
			for {
				t := dueAt(start, r.cfg.Rate, next.Add(1)-1)
				if !sleepUntil(stop, t) || stopped(stop) {
					return
				}
				r.pair(ctx, c, rec, t)
			}
		})
	}
}

// dueAt is when pair i is due at rate pairs a second from start.
func dueAt(start time.Time, rate float64, i int64) time.Time {
	return start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
}

// pair checks one license out and in again, due at due, and reports whether
// both went through.
func (r *run) pair(ctx context.Context, c *licenses.Client, rec *recorder, due time.Time) bool {
	from := due
	if r.cfg.Rate > 0 {
		from = rec.started(due, time.Now())
	}
	actx, arrival := withArrival(ctx)
	lic, err := c.Checkout(actx, r.feature, r.cfg.Version)
	if ctx.Err() != nil {
		return false
	}
	t := time.Now()
	rec.observe(kindCheckout, from, t, *arrival, err)
	if err != nil {
		return false
	}
	*arrival = time.Time{}
	err = lic.Checkin(actx)
	if ctx.Err() != nil {
		return false
	}
	rec.observe(kindCheckin, t, time.Now(), *arrival, err)
	if err != nil {
		return false
	}
	rec.done()
	return true
}

// ahead is how early a due operation may begin. Go's timers can wake a
// millisecond late when the process would otherwise idle (its network
// poller waits in whole milliseconds), and sleeping until the due time
// itself made operations start late: about 1 ms of start lag at p99 even at
// 1,000 pairs/s. Woken a millisecond early, they begin early instead; an
// operation that begins early counts its latency from its start (see
// recorder.started), so nothing is measured short.
const ahead = time.Millisecond

// sleepUntil sleeps until ahead before t and reports false when stop came
// first.
func sleepUntil(stop <-chan struct{}, t time.Time) bool {
	if wait := time.Until(t) - ahead; wait > 0 {
		return sleep(stop, wait)
	}
	return true
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// sleep waits for d and reports false when stop came first.
func sleep(stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	}
}
