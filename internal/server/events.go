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
	subs   map[chan *frame]struct{}
	closed bool
}

// frame is one event as a server-sent event. Every subscriber gets the same
// frame, and the first to send it encodes it, so the JSON is made once per
// event, not once per subscriber, and not on the goroutine that committed.
type frame struct {
	ev   wire.Event
	once sync.Once
	data []byte
}

func (f *frame) bytes() []byte {
	f.once.Do(func() { f.data = encodeEvent(f.ev) })
	return f.data
}

// encodeEvent writes e as a server-sent event. The audit trail keeps the
// session's id (the database holds it anyway, in its sessions table), and
// the stream, which anyone may read, shows its handle: the id is the
// client's credential.
func encodeEvent(e wire.Event) []byte {
	if e.Session != "" {
		e.Session = wire.SessionHandle(e.Session)
	}
	data, _ := json.Marshal(e)
	return fmt.Appendf(nil, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, data)
}

func newBroker() *broker { return &broker{subs: map[chan *frame]struct{}{}} }

func (b *broker) subscribe() chan *frame {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch := make(chan *frame, 4096)
	if b.closed {
		close(ch)
		return ch
	}
	b.subs[ch] = struct{}{}
	return ch
}

func (b *broker) unsubscribe(ch chan *frame) {
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
	if len(b.subs) == 0 {
		return
	}
	frames := make([]frame, len(evs))
	for i, e := range evs {
		frames[i].ev = e
	}
	for ch := range b.subs {
		for i := range frames {
			select {
			case ch <- &frames[i]:
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
	// Each burst of writes, up to the flush that ends it, gets one deadline.
	deadline := func() { rc.SetWriteDeadline(time.Now().Add(10 * time.Second)) }
	var last int64
	send := func(f *frame) error {
		if f.ev.Seq <= last {
			return nil // already sent in the replay
		}
		last = f.ev.Seq
		_, err := w.Write(f.bytes())
		return err
	}
	deadline()
	for _, e := range past {
		if send(&frame{ev: e}) != nil {
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
		case f, ok := <-ch:
			deadline()
			if !ok || send(f) != nil {
				return
			}
			for n := len(ch); n > 0; n-- { // send what is queued before flushing
				if send(<-ch) != nil {
					return
				}
			}
		case <-ping.C:
			deadline()
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		}
	}
}
