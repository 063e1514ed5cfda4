package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// replayEvents is how many past events a new /v1/events subscriber gets first.
const replayEvents = 100

// broker fans committed events out to /v1/events subscribers. A subscriber
// that falls more than a buffer behind is dropped (its stream ends and a
// monitor reconnects), so a slow reader never holds up the ledger.
type broker struct {
	mu     sync.Mutex
	subs   map[chan wire.Event]struct{}
	closed bool
}

func newBroker() *broker { return &broker{subs: map[chan wire.Event]struct{}{}} }

func (b *broker) subscribe() chan wire.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch := make(chan wire.Event, 4096)
	if b.closed {
		close(ch)
		return ch
	}
	b.subs[ch] = struct{}{}
	return ch
}

func (b *broker) unsubscribe(ch chan wire.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		close(ch)
	}
}

func (b *broker) publish(evs []wire.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		for _, e := range evs {
			select {
			case ch <- e:
			default: // too far behind: drop the subscriber
				delete(b.subs, ch)
				close(ch)
			}
			if _, ok := b.subs[ch]; !ok {
				break
			}
		}
	}
}

func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		delete(b.subs, ch)
		close(ch)
	}
}

// events streams the audit trail as server-sent events: first the latest
// replayEvents, then every event as it is committed, with a ping comment
// every 15 seconds so that proxies and clients see the stream is alive.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	ch := s.broker.subscribe()
	defer s.broker.unsubscribe(ch)
	past, err := s.store.Events(-1, replayEvents)
	if err != nil {
		s.writeError(w, wire.Errorf(wire.CodeUnavailable, "%v", err), http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set(wire.InstanceHeader, s.instance)
	w.WriteHeader(http.StatusOK)
	var last int64
	send := func(e wire.Event) error {
		if e.Seq <= last {
			return nil // already sent in the replay
		}
		last = e.Seq
		data, _ := json.Marshal(e)
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, data)
		return err
	}
	for _, e := range past {
		if send(e) != nil {
			return
		}
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		if rc.Flush() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-ch:
			if !ok || send(e) != nil {
				return
			}
			for n := len(ch); n > 0; n-- { // send what is queued before flushing
				if send(<-ch) != nil {
					return
				}
			}
		case <-ping.C:
			rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		}
	}
}
