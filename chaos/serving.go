package chaos

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// Status asks node for GET /v1/status on its real address, not through a
// proxy, waiting at most a second. It is safe from any goroutine.
func (c *Cluster) Status(node int) (wire.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	st, err := licenses.FetchStatus(ctx, c.nodes[node-1].addr, c.hc)
	if err != nil {
		return wire.Status{}, fmt.Errorf("status of node #%d: %w", node, err)
	}
	return *st, nil
}

// view is one node's answer to a status request, or why there is none.
type view struct {
	up  bool // running and not paused: asked
	st  wire.Status
	err error
}

// views asks every answering node for its status, all at once.
func (c *Cluster) views() []view {
	vs := make([]view, len(c.nodes))
	var wg sync.WaitGroup
	for i := range c.nodes {
		if !c.answering(i + 1) {
			continue
		}
		vs[i].up = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs[i].st, vs[i].err = c.Status(i + 1)
		}()
	}
	wg.Wait()
	return vs
}

// Serving returns the node that serves: on a HAL set, when exactly one
// answering (running, not paused) node says it serves and every answering
// node names it primary; on a single node, 1 when it answers status; else
// 0. It is safe from any goroutine.
func (c *Cluster) Serving() int {
	return c.servingOf(c.views())
}

func (c *Cluster) servingOf(vs []view) int {
	serving, up := 0, 0
	for i, v := range vs {
		if !v.up {
			continue
		}
		if v.err != nil {
			return 0
		}
		up++
		if v.st.Server.Serving || !c.cfg.HAL {
			if serving != 0 {
				return 0
			}
			serving = i + 1
		}
	}
	if serving == 0 || !c.cfg.HAL {
		return serving
	}
	for _, v := range vs {
		if v.up && v.st.Server.Primary != c.nodes[serving-1].addr {
			return 0
		}
	}
	return serving
}

// WaitServing polls Serving every 50 ms until a node serves, and returns
// it. It gives up after timeout, or at once when a node has exited by
// itself (Exited), with what each node thinks.
func (c *Cluster) WaitServing(timeout time.Duration) (int, error) {
	return c.WaitServedBy(0, timeout)
}

// WaitServedBy is WaitServing for node want to serve (0: any node).
func (c *Cluster) WaitServedBy(want int, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		if err := c.Exited(); err != nil {
			return 0, err
		}
		vs := c.views()
		if id := c.servingOf(vs); id != 0 && (want == 0 || id == want) {
			return id, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no serving node (want %d) that every answering node agrees on after %v: %s", want, timeout, c.describe(vs))
		}
		time.Sleep(pollEvery)
	}
}

// describe says what each node thinks, for an error.
func (c *Cluster) describe(vs []view) string {
	var parts []string
	for i, v := range vs {
		id := i + 1
		switch {
		case !v.up && c.Paused(id):
			parts = append(parts, fmt.Sprintf("#%d paused", id))
		case !v.up:
			parts = append(parts, fmt.Sprintf("#%d down", id))
		case v.err != nil:
			parts = append(parts, fmt.Sprintf("#%d: %v", id, v.err))
		default:
			s := v.st.Server
			parts = append(parts, fmt.Sprintf("#%d role=%s serving=%v quorum=%v primary=%q term=%d applied=%d",
				id, s.Role, s.Serving, s.Quorum, s.Primary, s.Term, s.Applied))
		}
	}
	return strings.Join(parts, "; ")
}
