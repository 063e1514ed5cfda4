package loadgen

import (
	"context"
	"time"

	"github.com/floatlic/floatlic/licenses"
)

// errorPause is how long a closed-loop client waits after a refusal, so that
// a run against a full pool measures refusals, not a spin.
const errorPause = 10 * time.Millisecond

// churn starts one goroutine per churning client. Closed loop: each checks
// out and in again until stop. Open loop (Rate): a pacer hands out start
// times at the rate and the clients take them; latency counts from the
// start time, so waiting for a free client shows as latency.
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
	due := make(chan time.Time, 4*len(clients))
	go pace(stop, start, r.cfg.Rate, due)
	for _, c := range clients {
		worker(func(rec *recorder) {
			for t := range due {
				if stopped(stop) {
					return
				}
				r.pair(ctx, c, rec, t)
			}
		})
	}
}

// pair checks one license out and in again, due at due, and reports whether
// both went through.
func (r *run) pair(ctx context.Context, c *licenses.Client, rec *recorder, due time.Time) bool {
	from := due
	if r.cfg.Rate > 0 {
		from = rec.started(due, time.Now())
	}
	lic, err := c.Checkout(ctx, r.feature, r.cfg.Version)
	if ctx.Err() != nil {
		return false
	}
	t := time.Now()
	rec.observe(kindCheckout, t.Sub(from), err)
	if err != nil {
		return false
	}
	err = lic.Checkin(ctx)
	if ctx.Err() != nil {
		return false
	}
	rec.observe(kindCheckin, time.Since(t), err)
	if err != nil {
		return false
	}
	rec.done()
	return true
}

// pace sends the start time of pair i, start + i/rate, to due until stop,
// then closes due. It sends each up to a millisecond early (see ahead); when
// the clients fall behind it blocks, and the times it sends afterwards are
// still the scheduled ones.
func pace(stop <-chan struct{}, start time.Time, rate float64, due chan<- time.Time) {
	defer close(due)
	for i := 0; ; i++ {
		t := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if !sleepUntil(stop, t) {
			return
		}
		select {
		case due <- t:
		case <-stop:
			return
		}
	}
}

// ahead is how early the pacers hand out a due time. Go's timers can wake a
// millisecond late when the process would otherwise idle (its network
// poller waits in whole milliseconds), and a pacer that woke at the due
// time itself made the operations due meanwhile start late: about 1 ms of
// start lag at p99 even at 1,000 pairs/s. Woken a millisecond early, it
// hands them out early instead; an operation that begins early counts its
// latency from its start (see recorder.started), so nothing is measured
// short.
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
