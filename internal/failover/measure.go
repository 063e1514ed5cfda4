package failover

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// pollEvery is how often the set's status is read while waiting on it.
const pollEvery = 20 * time.Millisecond

// killed is the node every round kills: #1, which serves whenever it is up.
const killed = 1

// measurer runs the rounds on a started set.
type measurer struct {
	cfg     Config
	set     *set
	feature string
}

// round is one kill: a steady stream of checkouts, kill -9 of #1, the
// first checkout accepted by another node, then #1 back and serving.
func (m *measurer) round(ctx context.Context, k int) (Kill, error) {
	kill := Kill{N: k, Killed: killed}
	p := newProber(m.set.files.Clients, m.feature, m.cfg.Timeout, m.cfg.Clients)
	pctx, stopProbe := context.WithCancel(ctx)
	wait := p.run(pctx, m.cfg.Clients)
	first, err := m.killWhenSteady(ctx, p)
	if err == nil {
		kill.TookOver, kill.Ms, err = m.takeover(ctx, first)
	}
	stopProbe()
	sessions := wait()
	if err != nil {
		return kill, err
	}
	rctx, cancel := context.WithTimeout(ctx, m.cfg.Wait)
	defer cancel()
	if err := p.release(rctx, sessions); err != nil {
		return kill, fmt.Errorf("after the takeover: %w", err)
	}
	start := time.Now()
	if err := m.set.start(killed); err != nil {
		return kill, err
	}
	if err := m.settle(ctx); err != nil {
		return kill, fmt.Errorf("after #%d started again: %w", killed, err)
	}
	kill.BackMs = ms(time.Since(start))
	return kill, nil
}

// killWhenSteady waits until every prober session has had checkouts
// accepted, then kills #1 and returns the channel of the first checkout
// accepted after the kill.
func (m *measurer) killWhenSteady(ctx context.Context, p *prober) (*arm, error) {
	want := int64(2 * m.cfg.Clients)
	err := poll(ctx, m.cfg.Wait, func() (bool, error) {
		return p.accepted.Load() >= want, m.set.exited(0)
	})
	if err != nil {
		return nil, fmt.Errorf("before the kill, %d checkouts accepted of the %d awaited: %w", p.accepted.Load(), want, err)
	}
	first := p.expect(killed, time.Now())
	if err := m.set.kill(killed); err != nil {
		return nil, err
	}
	return first, nil
}

// takeover waits for the first checkout accepted after the kill.
func (m *measurer) takeover(ctx context.Context, a *arm) (node int, took float64, err error) {
	t := time.NewTimer(m.cfg.Wait)
	defer t.Stop()
	select {
	case h := <-a.first:
		return h.node, ms(h.at.Sub(a.at)), nil
	case <-t.C:
		return 0, 0, fmt.Errorf("no node accepted a checkout within %s of kill -9 of #%d: %s", m.cfg.Wait, killed, m.view(ctx))
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
}

// settle waits until #1 serves and the three nodes agree: each answers,
// #2 and #3 hear from #1 as the serving node, and all three are at the same
// raft term and applied index.
func (m *measurer) settle(ctx context.Context) error {
	var last string
	err := poll(ctx, m.cfg.Wait, func() (bool, error) {
		if err := m.set.exited(0); err != nil {
			return false, err
		}
		var sts [3]*wire.Status
		for i := range sts {
			st, err := m.set.status(ctx, i+1)
			if err != nil {
				last = fmt.Sprintf("#%d: %v", i+1, err)
				return false, nil
			}
			sts[i] = st
		}
		last = describe(sts)
		return settled(sts, m.set.files.Clients[killed-1]), nil
	})
	if err != nil {
		return fmt.Errorf("the set did not settle with #%d serving: %w; last seen: %s", killed, err, last)
	}
	return nil
}

// settled reports whether primary serves and the three views agree.
func settled(sts [3]*wire.Status, primary string) bool {
	if !sts[0].Server.Serving {
		return false
	}
	for _, st := range sts {
		s := st.Server
		if !s.Quorum || s.Primary != primary || s.Term != sts[0].Server.Term || s.Applied != sts[0].Server.Applied {
			return false
		}
	}
	return true
}

// describe sums three views up in one line, for errors.
func describe(sts [3]*wire.Status) string {
	parts := make([]string, 0, 3)
	for i, st := range sts {
		if st == nil {
			parts = append(parts, fmt.Sprintf("#%d no answer", i+1))
			continue
		}
		s := st.Server
		parts = append(parts, fmt.Sprintf("#%d serving=%t quorum=%t primary=%q term=%d applied=%d", i+1, s.Serving, s.Quorum, s.Primary, s.Term, s.Applied))
	}
	return strings.Join(parts, "; ")
}

// view is what the nodes say now, for errors.
func (m *measurer) view(ctx context.Context) string {
	var sts [3]*wire.Status
	for i := range sts {
		if m.set.alive(i + 1) {
			sts[i], _ = m.set.status(ctx, i+1)
		}
	}
	return describe(sts)
}

// pickFeature returns the feature with the largest pool, which must have
// a license for every prober session.
func (m *measurer) pickFeature(ctx context.Context) (string, error) {
	st, err := m.set.status(ctx, killed)
	if err != nil {
		return "", fmt.Errorf("status of #%d: %w", killed, err)
	}
	best := -1
	for i, f := range st.Features {
		if best < 0 || f.Count > st.Features[best].Count {
			best = i
		}
	}
	if best < 0 || st.Features[best].Count < m.cfg.Clients {
		return "", fmt.Errorf("the HAL set serves no feature with %d licenses, one per client", m.cfg.Clients)
	}
	return st.Features[best].Name, nil
}

// poll calls done every pollEvery until it reports true or an error, ctx
// ends, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		ok, err := done()
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("still waiting after %s", timeout)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}
