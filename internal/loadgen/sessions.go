package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/floatlic/floatlic/licenses"
)

// setup makes the heartbeating sessions, each holding one license, from
// as many goroutines as there are heartbeat workers. The first refusal
// stops it; the sessions made so far are returned for closing either way.
func (r *run) setup(ctx context.Context, p *progress) ([]*licenses.Client, error) {
	n := r.cfg.Sessions
	if n == 0 {
		return nil, nil
	}
	clients := make([]*licenses.Client, n)
	var next, made atomic.Int64
	var once sync.Once
	var firstErr error
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.count("checking out", int64(n), &made)
	var wg sync.WaitGroup
	for range max(r.cfg.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || sctx.Err() != nil {
					return
				}
				c, err := r.newClient(i)
				if err == nil {
					clients[i] = c
					_, err = c.Checkout(sctx, r.feature, r.cfg.Version)
				}
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				made.Add(1)
			}
		}()
	}
	wg.Wait()
	p.done()
	if firstErr != nil {
		return clients, r.setupError(firstErr, int(made.Load()))
	}
	if err := ctx.Err(); err != nil {
		return clients, err
	}
	return clients, nil
}

func (r *run) setupError(err error, made int) error {
	if licenses.IsCode(err, licenses.CodeCountExhausted) {
		return classify(ErrCountTooSmall, "%s ran out of licenses after %d sessions: %w", r.feature, made, err)
	}
	return fmt.Errorf("check out a license for session %d of %d: %w", made+1, r.cfg.Sessions, err)
}

// closeAll checks every client's licenses in and ends its session, from
// many goroutines, giving up after closeTimeout (the server's leases then
// reclaim what is left).
func (r *run) closeAll(clients []*licenses.Client, p *progress) {
	if len(clients) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var next, closed atomic.Int64
	p.count("checking in", int64(len(clients)), &closed)
	var wg sync.WaitGroup
	for range min(max(r.cfg.Workers, r.cfg.Clients, 1), len(clients)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(clients) {
					return
				}
				if c := clients[i]; c != nil && ctx.Err() == nil {
					_ = c.Close(ctx) // what fails to close, its lease reclaims
				}
				closed.Add(1)
			}
		}()
	}
	wg.Wait()
	p.done()
}
