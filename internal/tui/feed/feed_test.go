package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// patience bounds every wait for the feed. It is a failsafe, not a measure:
// nothing a test asserts depends on how fast the machine is.
const patience = 10 * time.Second

// waitMsg waits for the feed's next message of type T, skipping others.
func waitMsg[T tea.Msg](t *testing.T, f *Feed, timeout time.Duration, ok func(T) bool) T {
	t.Helper()
	deadline := time.After(timeout)
	for {
		got := make(chan tea.Msg, 1)
		go func() { got <- f.Next()() }()
		select {
		case m := <-got:
			if m, isT := m.(T); isT && (ok == nil || ok(m)) {
				return m
			}
		case <-deadline:
			var zero T
			t.Fatalf("no %T within %s", zero, timeout)
			return zero
		}
	}
}

// checkout checks a license out over raw HTTP.
func checkout(t *testing.T, addr, user, feature string) {
	t.Helper()
	req := wire.CheckoutRequest{
		Client:    wire.Client{Session: fmt.Sprintf("%032x", len(user)*7919), User: user, Host: "ws-" + user, PID: 4242},
		RequestID: "r-" + user, Feature: feature,
	}
	b, _ := json.Marshal(req)
	resp, err := http.Post("http://"+addr+wire.PathCheckout, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("checkout %s for %s: %s", feature, user, resp.Status)
	}
}

// TestFollowServer follows a real server through a checkout, a stop and a
// restart.
func TestFollowServer(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Lease: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := Start(ctx, Options{Servers: []string{srv.Addr}, Throttle: 50 * time.Millisecond, Poll: time.Hour, MaxWait: 100 * time.Millisecond})

	if m := waitMsg[ConnMsg](t, f, patience, nil); m.State != Live || m.Addr != srv.Addr {
		t.Fatalf("first ConnMsg = %+v", m)
	}
	waitMsg(t, f, patience, func(m StatusMsg) bool { return len(m.Status.Checkouts) == 0 })

	checkout(t, srv.Addr, "ann", "cad_pro")
	waitMsg(t, f, patience, func(m EventsMsg) bool {
		for _, e := range m.Events {
			if e.Kind == wire.EventGrant && e.User == "ann" {
				return true
			}
		}
		return false
	})
	// The event makes the feed fetch the status again: no Poll needed.
	waitMsg(t, f, patience, func(m StatusMsg) bool { return len(m.Status.Checkouts) == 1 })

	srv.Stop()
	down := waitMsg(t, f, patience, func(m ConnMsg) bool { return m.State == Down && m.Attempt >= 2 })
	if got := Reason(down.Err); got != "connection refused" {
		t.Errorf("Reason(%v) = %q, want connection refused", down.Err, got)
	}
	if f.Addr() != srv.Addr {
		t.Errorf("Addr() = %q while down, want the last server", f.Addr())
	}

	srv.Start()
	waitMsg(t, f, patience, func(m ConnMsg) bool { return m.State == Live })
	st := waitMsg[StatusMsg](t, f, patience, nil)
	if len(st.Status.Checkouts) != 1 || st.Status.Checkouts[0].User != "ann" {
		t.Errorf("after the restart: checkouts %+v, want ann's", st.Status.Checkouts)
	}
}

// eventServer is a server whose event stream sends what the test hands it,
// and whose status fetch takes statusTook on the test's clock. It counts the
// status fetches.
type eventServer struct {
	URL     string
	events  chan int // sequence numbers of grants to send
	fetches atomic.Int32
}

func newEventServer(t *testing.T, clk *clock.Fake, statusTook time.Duration) *eventServer {
	t.Helper()
	es := &eventServer{events: make(chan int)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wire.PathStatus:
			clk.Advance(statusTook)
			es.fetches.Add(1)
			json.NewEncoder(w).Encode(wire.Status{Server: wire.ServerInfo{Instance: "i"}})
		case wire.PathEvents:
			w.Header().Set("Content-Type", "text/event-stream")
			w.(http.Flusher).Flush()
			for {
				select {
				case i := <-es.events:
					fmt.Fprintf(w, "id: %d\nevent: grant\ndata: {\"seq\":%d,\"kind\":\"grant\"}\n\n", i, i)
					w.(http.Flusher).Flush()
				case <-r.Context().Done():
					return
				}
			}
		}
	}))
	t.Cleanup(srv.Close)
	es.URL = srv.URL
	return es
}

// send hands the event stream the grants from..to.
func (es *eventServer) send(t *testing.T, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		select {
		case es.events <- i:
		case <-time.After(patience):
			t.Fatalf("the event stream did not take event %d within %s", i, patience)
		}
	}
}

// readEvents reads the events from..to from the feed, in order, however
// they are batched.
func readEvents(t *testing.T, f *Feed, from, to int) {
	t.Helper()
	next := from
	for next <= to {
		m := waitMsg[EventsMsg](t, f, patience, nil)
		for _, e := range m.Events {
			if e.Seq != int64(next) {
				t.Fatalf("event %d, want %d", e.Seq, next)
			}
			next++
		}
	}
}

// passOneByOne sends the events from..to one at a time, each in a batch of
// its own. When it returns, the feed has read its clock after passing the
// first of them on: the second batch goes out after a wait whose length
// the feed took from the clock once the first had gone. So a status fetch
// the clock made due before the call has been made by then.
func passOneByOne(t *testing.T, es *eventServer, f *Feed, from, to int) {
	t.Helper()
	if to <= from {
		t.Fatalf("passOneByOne(%d, %d): it takes two events at least", from, to)
	}
	for i := from; i <= to; i++ {
		es.send(t, i, i)
		readEvents(t, f, i, i)
	}
}

// startFeed starts a feed that stops with the test.
func startFeed(t *testing.T, opts Options) *Feed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return Start(ctx, opts)
}

// epoch is where the tests' fake clocks start.
var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// TestThrottle: events, however many and in however many batches, make at
// most one status fetch per Throttle, and they are passed on meanwhile.
func TestThrottle(t *testing.T) {
	const throttle = 20 * time.Millisecond
	clk := clock.NewFake(epoch)
	es := newEventServer(t, clk, 0)
	f := startFeed(t, Options{Servers: []string{es.URL}, Throttle: throttle, Poll: time.Hour, Clock: clk})
	waitMsg[StatusMsg](t, f, patience, nil)

	// A burst, then events one at a time: all passed on, no fetch, as the
	// clock has not moved.
	es.send(t, 1, 100)
	readEvents(t, f, 1, 100)
	passOneByOne(t, es, f, 101, 110)
	if n := es.fetches.Load(); n != 1 {
		t.Fatalf("%d status fetches for 110 events in less than a Throttle, want the first only", n)
	}

	// A Throttle later the events make one fetch, and then none again for a
	// Throttle.
	clk.Advance(throttle)
	waitMsg[StatusMsg](t, f, patience, nil)
	passOneByOne(t, es, f, 111, 120)
	if n := es.fetches.Load(); n != 2 {
		t.Fatalf("%d status fetches a Throttle later, want 2", n)
	}
}

// TestThrottleSlowStatus: when a status fetch is slow (a big site), the feed
// fetches it less often, so that one monitor cannot keep the server busy;
// and it passes events on while the next fetch waits.
func TestThrottleSlowStatus(t *testing.T) {
	const throttle, took = 10 * time.Millisecond, 50 * time.Millisecond
	clk := clock.NewFake(epoch)
	es := newEventServer(t, clk, took)
	f := startFeed(t, Options{Servers: []string{es.URL}, Throttle: throttle, Poll: time.Hour, Clock: clk})
	waitMsg[StatusMsg](t, f, patience, nil)

	// An event makes the feed fetch the status a Throttle later, and the
	// fetch takes 50 ms by the clock.
	es.send(t, 1, 1)
	readEvents(t, f, 1, 1)
	clk.Advance(throttle)
	waitMsg[StatusMsg](t, f, patience, nil)

	// The next fetch is ten fetches' time away, not a Throttle: events in
	// that time are passed on, and make no fetch.
	seq := 2
	for _, step := range []time.Duration{throttle, 100 * time.Millisecond, 250 * time.Millisecond, 139 * time.Millisecond} {
		clk.Advance(step)
		passOneByOne(t, es, f, seq, seq+1)
		seq += 2
		if n := es.fetches.Load(); n != 2 {
			t.Fatalf("%d status fetches before %v had passed since a fetch of %v, want 2", n, fetchShare*took, took)
		}
	}
	clk.Advance(time.Millisecond) // 500 ms since the fetch ended
	waitMsg[StatusMsg](t, f, patience, nil)
	if n := es.fetches.Load(); n != 3 {
		t.Errorf("%d status fetches once %v had passed, want 3", n, fetchShare*took)
	}
}

func TestNextGap(t *testing.T) {
	for _, tt := range []struct{ throttle, took, want time.Duration }{
		{250 * time.Millisecond, time.Millisecond, 250 * time.Millisecond},
		{250 * time.Millisecond, 25 * time.Millisecond, 250 * time.Millisecond},
		{250 * time.Millisecond, 300 * time.Millisecond, 3 * time.Second},
	} {
		if got := nextGap(tt.throttle, tt.took); got != tt.want {
			t.Errorf("nextGap(%v, %v) = %v, want %v", tt.throttle, tt.took, got, tt.want)
		}
	}
}

// TestServersInOrder: the first server that answers is followed.
func TestServersInOrder(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	dead := httptest.NewServer(http.NotFoundHandler())
	deadAddr := dead.Listener.Addr().String()
	dead.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := Start(ctx, Options{Servers: []string{deadAddr, srv.Addr}})
	if m := waitMsg[ConnMsg](t, f, patience, nil); m.State != Live || m.Addr != srv.Addr {
		t.Errorf("ConnMsg = %+v, want live on %s", m, srv.Addr)
	}
}

func TestReason(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{wire.Errorf(wire.CodeNoQuorum, "1 of 3 up"), "no_quorum: 1 of 3 up"},
		{fmt.Errorf("fetch: %w", ctx.Err()), "timed out"},
		{fmt.Errorf("other"), "other"},
	}
	for _, tt := range tests {
		if got := Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// watchedClock is a fake clock that tells the test when the feed reads it.
type watchedClock struct {
	*clock.Fake
	reads chan struct{} // unbuffered: only the reads made while the test waits count
}

// Now returns the fake time and tells a waiting test.
func (c *watchedClock) Now() time.Time {
	select {
	case c.reads <- struct{}{}:
	default:
	}
	return c.Fake.Now()
}

// awaitRead waits until the feed reads the clock.
func (c *watchedClock) awaitRead(t *testing.T) {
	t.Helper()
	select {
	case <-c.reads:
	case <-time.After(patience):
		t.Fatalf("the feed did not read its clock within %s", patience)
	}
}

// TestFlappingStream: a server whose event stream fails at once is retried
// with backoff, as if it could not be reached, not in a tight loop.
func TestFlappingStream(t *testing.T) {
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wire.PathStatus:
			fetches.Add(1)
			json.NewEncoder(w).Encode(wire.Status{})
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(wire.ErrorReply{Error: wire.Errorf(wire.CodeUnavailable, "no events")})
		}
	}))
	defer srv.Close()
	clk := &watchedClock{Fake: clock.NewFake(epoch), reads: make(chan struct{})}
	f := startFeed(t, Options{Servers: []string{srv.URL}, Throttle: 10 * time.Millisecond, MaxWait: time.Second, Clock: clk})
	// The clock stands still but where the test moves it, so each attempt
	// is due exactly its backoff after the one before.
	for _, want := range []struct {
		attempt int
		backoff time.Duration
	}{{1, 0}, {2, 500 * time.Millisecond}, {3, time.Second}, {4, time.Second}} {
		m := waitMsg(t, f, patience, func(m ConnMsg) bool { return m.State == Down })
		if m.Attempt != want.attempt || Reason(m.Err) != "unavailable: no events" {
			t.Fatalf("down: attempt %d (%s), want attempt %d (unavailable: no events)", m.Attempt, Reason(m.Err), want.attempt)
		}
		if got := m.Retry.Sub(clk.Fake.Now()); got != want.backoff {
			t.Errorf("attempt %d: retry in %v, want %v", m.Attempt, got, want.backoff)
		}
		if !m.Since.Equal(epoch) {
			t.Errorf("attempt %d: down since %v, want since the first failure", m.Attempt, m.Since)
		}
		// Held by the clock, the feed reads it and does not fetch. (The
		// first retry is at once.) Had it not waited, it would have read
		// the clock only after its next fetch.
		if want.backoff > 0 {
			clk.awaitRead(t)
		}
		if n := fetches.Load(); want.backoff > 0 && n != int32(want.attempt) {
			t.Fatalf("%d status fetches by the end of attempt %d: the feed did not wait for its retry", n, want.attempt)
		}
		clk.Advance(want.backoff)
	}
}
