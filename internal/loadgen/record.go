package loadgen

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/floatlic/floatlic/licenses"
)

// kind is a request kind, measured separately.
type kind int

const (
	kindCheckout kind = iota
	kindCheckin
	kindHeartbeat
	nKinds
)

var kindNames = [nKinds]string{"checkout", "checkin", "heartbeat"}

// counters are the live totals the progress bar shows.
type counters struct {
	ops, errors atomic.Uint64
}

// recorder is one worker goroutine's measurements.
type recorder struct {
	live    *counters
	hists   [nKinds]*Histogram
	socket  [nKinds]*Histogram // latency until the reply reached the socket
	lag     *Histogram         // how late this process began operations, open loop
	readLag *Histogram         // how long replies waited in the socket to be read
	ops     uint64
	errs    map[string]uint64
	sample  map[string]string // one message per error code
}

func newRecorder(live *counters) *recorder {
	r := &recorder{live: live, lag: NewHistogram(), readLag: NewHistogram(), errs: map[string]uint64{}, sample: map[string]string{}}
	for i := range r.hists {
		r.hists[i], r.socket[i] = NewHistogram(), NewHistogram()
	}
	return r
}

// observe records one request of kind k, counted from from (when it was
// due, or began), whose reply was read at end and had arrived at arrival
// (zero when unknown), and which ended with err.
func (r *recorder) observe(k kind, from, end, arrival time.Time, err error) {
	if err == nil {
		r.hists[k].Record(end.Sub(from))
		if !arrival.IsZero() {
			// Clamped: the kernel's clock and Go's may disagree by a hair.
			r.socket[k].Record(max(0, min(arrival.Sub(from), end.Sub(from))))
			r.readLag.Record(max(0, end.Sub(arrival)))
		}
		return
	}
	code := errorCode(err)
	if r.errs[code] == 0 {
		r.sample[code] = err.Error()
	}
	r.errs[code]++
	r.live.errors.Add(1)
}

// started records that an operation due at due began at now, and returns
// the time its latency counts from: due when it began late (the delay is
// the load generator's own, and the latency includes it), now when the
// operation began early (see ahead; a latency from a later due would be too
// short).
func (r *recorder) started(due, now time.Time) time.Time {
	if now.Before(due) {
		r.lag.Record(0)
		return now
	}
	r.lag.Record(now.Sub(due))
	return due
}

// done counts one finished operation (a pair, or a heartbeat).
func (r *recorder) done() {
	r.ops++
	r.live.ops.Add(1)
}

func (r *recorder) merge(o *recorder) {
	for i := range r.hists {
		r.hists[i].Merge(o.hists[i])
		r.socket[i].Merge(o.socket[i])
	}
	r.lag.Merge(o.lag)
	r.readLag.Merge(o.readLag)
	r.ops += o.ops
	for code, n := range o.errs {
		if r.errs[code] == 0 {
			r.sample[code] = o.sample[code]
		}
		r.errs[code] += n
	}
}

// errorCode names an error as the report counts it: the protocol's code
// (count_exhausted, no_server, ...), or timeout, network or other.
func errorCode(err error) string {
	if code := licenses.ErrorCode(err); code != "" {
		return code
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case ne != nil:
		return "network"
	}
	return "other"
}
