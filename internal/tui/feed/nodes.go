package feed

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// NodeTimeout bounds the status request to each other node of a HAL set:
// a node that does not answer within it is shown down.
const NodeTimeout = time.Second

// MergeNodes returns the "servers" list of st, the status of one HAL node,
// with each node as it told itself: a node is up when it answered (st's own
// node always did), and its serving flag, term and applied index are from
// its own reply; id, address and role stay those of st's list. replies holds
// the other nodes' statuses by id, nil or absent for a node that did not
// answer; a reply from a node of another id (something else answered at
// that address) counts as no answer. Without a HAL id in st, its list is
// returned as it is.
func MergeNodes(st *wire.Status, replies map[int]*wire.Status) []wire.ServerNode {
	if st.Server.HALID == 0 {
		return st.Servers
	}
	merged := make([]wire.ServerNode, len(st.Servers))
	for i, n := range st.Servers {
		own := replies[n.ID]
		if n.ID == st.Server.HALID {
			own = st
		}
		n.Up, n.Serving, n.Term, n.Applied = false, false, 0, 0
		if own != nil && own.Server.HALID == n.ID {
			n.Up, n.Serving, n.Term, n.Applied = true, own.Server.Serving, own.Server.Term, own.Server.Applied
		}
		merged[i] = n
	}
	return merged
}

// FetchNodes asks every node in st's "servers" list other than st's own for
// its status, all at once, each for at most timeout, and returns the
// replies by id; a node that did not answer has none.
func FetchNodes(ctx context.Context, st *wire.Status, hc *http.Client, timeout time.Duration) map[int]*wire.Status {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		replies = make(map[int]*wire.Status, len(st.Servers))
	)
	for _, n := range st.Servers {
		if n.ID == st.Server.HALID || n.Addr == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			if r, err := licenses.FetchStatus(ctx, n.Addr, hc); err == nil {
				mu.Lock()
				replies[n.ID] = r
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return replies
}

// WithNodes sets the "servers" list of st, when it comes from a HAL node,
// to every node's own view of itself (MergeNodes of FetchNodes). When st's
// node does not serve and the serving node answered, the ledger shown
// (features, checkouts, borrows, grace) is the serving node's: only it
// hears the heartbeats, so only its last-heartbeat and lease times are
// current.
func WithNodes(ctx context.Context, st *wire.Status, hc *http.Client) {
	if st.Server.HALID == 0 {
		return
	}
	replies := FetchNodes(ctx, st, hc, NodeTimeout)
	st.Servers = MergeNodes(st, replies)
	if st.Server.Serving {
		return
	}
	for id, r := range replies {
		if r.Server.HALID == id && r.Server.Serving {
			st.Features, st.Checkouts, st.Borrows, st.Graces = r.Features, r.Checkouts, r.Borrows, r.Graces
			return
		}
	}
}
