package failover

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// retryPause is how long a prober client waits after a failed attempt
// before the next: short next to a failover, and it keeps a few clients
// from spinning on the two cores the nodes need for their election.
const retryPause = 5 * time.Millisecond

// hit is a checkout accepted by node at a time.
type hit struct {
	node int
	at   time.Time
}

// prober is a steady stream of checkout+checkin pairs from a few clients,
// each its own session, that try the set's three client addresses. It
// speaks the wire protocol itself rather than through package licenses:
// that client retries a server it cannot reach with a backoff (100 ms
// first), which would be measured as failover time.
type prober struct {
	addrs   [3]string
	feature string
	timeout time.Duration // bound on each request
	hc      *http.Client

	accepted atomic.Int64        // checkouts accepted so far
	watch    atomic.Pointer[arm] // set before a kill
}

// arm watches for the first checkout accepted by another node than killed
// after at.
type arm struct {
	killed int
	at     time.Time
	first  chan hit // capacity 1: only the first is kept
}

func newProber(addrs [3]string, feature string, timeout time.Duration, clients int) *prober {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, IdleConnTimeout: time.Minute}
	return &prober{addrs: addrs, feature: feature, timeout: timeout, hc: &http.Client{Transport: tr}}
}

// run starts clients sessions; they run until ctx ends, and the returned
// function waits for them and returns their session ids.
func (p *prober) run(ctx context.Context, clients int) (wait func() []string) {
	sessions := make([]string, clients)
	var wg sync.WaitGroup
	for i := range sessions {
		sessions[i] = randomID()
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.client(ctx, i, sessions[i])
		}()
	}
	return func() []string {
		wg.Wait()
		return sessions
	}
}

// expect arms the prober for a kill of node killed at (just after) at:
// the arm's channel receives the first checkout accepted after at by
// another node.
func (p *prober) expect(killed int, at time.Time) *arm {
	a := &arm{killed: killed, at: at, first: make(chan hit, 1)}
	p.watch.Store(a)
	return a
}

// client is one session's loop: check out, check in at once, again.
// not_primary's address is followed at once; any other failure moves on
// to the next node after a pause.
func (p *prober) client(ctx context.Context, i int, session string) {
	who := wire.Client{Session: session, User: fmt.Sprintf("failover%d", i), Host: "licbench", PID: i}
	target := 0
	for ctx.Err() == nil {
		var rep wire.CheckoutReply
		req := wire.CheckoutRequest{Client: who, RequestID: randomID(), Feature: p.feature}
		err := p.post(ctx, target, wire.PathCheckout, req, &rep)
		if err == nil {
			p.granted(target+1, time.Now())
			_ = p.post(ctx, target, wire.PathCheckin, wire.CheckinRequest{Client: who, CheckoutID: rep.CheckoutID}, nil)
			continue
		}
		if next := p.hinted(err); next >= 0 && next != target {
			target = next
			continue
		}
		target = (target + 1) % 3
		pause(ctx, retryPause)
	}
}

// granted counts an accepted checkout and reports it to the armed watch.
func (p *prober) granted(node int, at time.Time) {
	p.accepted.Add(1)
	a := p.watch.Load()
	if a == nil || node == a.killed || !at.After(a.at) {
		return
	}
	select {
	case a.first <- hit{node: node, at: at}:
	default:
	}
}

// hinted returns the index of the node a not_primary refusal names, or -1.
func (p *prober) hinted(err error) int {
	var e *wire.Error
	if !errors.As(err, &e) || e.Code != wire.CodeNotPrimary {
		return -1
	}
	for i, a := range p.addrs {
		if a == e.Primary {
			return i
		}
	}
	return -1
}

// release checks in everything the sessions hold, on whichever node
// serves: checkouts whose replies a kill lost, so that the next round
// starts with a free pool.
func (p *prober) release(ctx context.Context, sessions []string) error {
	for i, s := range sessions {
		req := wire.CheckinRequest{Client: wire.Client{Session: s, User: fmt.Sprintf("failover%d", i), Host: "licbench", PID: i}, All: true}
		var err error
		for node := range p.addrs {
			if err = p.post(ctx, node, wire.PathCheckin, req, nil); err == nil {
				break
			}
		}
		if err != nil {
			return fmt.Errorf("check in session %d: %w", i, err)
		}
	}
	return nil
}

// post sends one request to node (0-based) and decodes a 2xx reply into
// reply, or returns the refusal as *wire.Error.
func (p *prober) post(ctx context.Context, node int, path string, req, reply any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	rctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(rctx, http.MethodPost, "http://"+p.addrs[node]+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := p.hc.Do(hreq)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", path, p.addrs[node], err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s on %s: read reply: %w", path, p.addrs[node], err)
	}
	if resp.StatusCode/100 != 2 {
		var er wire.ErrorReply
		if json.Unmarshal(data, &er) == nil && er.Error != nil {
			return er.Error
		}
		return fmt.Errorf("%s on %s: %s", path, p.addrs[node], resp.Status)
	}
	if reply == nil {
		return nil
	}
	return json.Unmarshal(data, reply)
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// randomID returns 128 random bits in hex, as session and request ids are.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
