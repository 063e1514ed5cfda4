package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

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

	if m := waitMsg[ConnMsg](t, f, 5*time.Second, nil); m.State != Live || m.Addr != srv.Addr {
		t.Fatalf("first ConnMsg = %+v", m)
	}
	waitMsg(t, f, 5*time.Second, func(m StatusMsg) bool { return len(m.Status.Checkouts) == 0 })

	checkout(t, srv.Addr, "ann", "cad_pro")
	waitMsg(t, f, 5*time.Second, func(m EventsMsg) bool {
		for _, e := range m.Events {
			if e.Kind == wire.EventGrant && e.User == "ann" {
				return true
			}
		}
		return false
	})
	// The event makes the feed fetch the status again: no Poll needed.
	waitMsg(t, f, time.Second, func(m StatusMsg) bool { return len(m.Status.Checkouts) == 1 })

	srv.Stop()
	down := waitMsg(t, f, 5*time.Second, func(m ConnMsg) bool { return m.State == Down && m.Attempt >= 2 })
	if got := Reason(down.Err); got != "connection refused" {
		t.Errorf("Reason(%v) = %q, want connection refused", down.Err, got)
	}
	if f.Addr() != srv.Addr {
		t.Errorf("Addr() = %q while down, want the last server", f.Addr())
	}

	srv.Start()
	waitMsg(t, f, 5*time.Second, func(m ConnMsg) bool { return m.State == Live })
	st := waitMsg[StatusMsg](t, f, 5*time.Second, nil)
	if len(st.Status.Checkouts) != 1 || st.Status.Checkouts[0].User != "ann" {
		t.Errorf("after the restart: checkouts %+v, want ann's", st.Status.Checkouts)
	}
}

// eventServer serves a status that takes statusTook to answer, and an event
// stream of n grants, one every gap. It counts the status fetches.
func eventServer(t *testing.T, n int, gap, statusTook time.Duration) (*httptest.Server, *atomic.Int32) {
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wire.PathStatus:
			fetches.Add(1)
			time.Sleep(statusTook)
			json.NewEncoder(w).Encode(wire.Status{Server: wire.ServerInfo{Instance: "i"}})
		case wire.PathEvents:
			w.Header().Set("Content-Type", "text/event-stream")
			for i := 1; i <= n; i++ {
				fmt.Fprintf(w, "id: %d\nevent: grant\ndata: {\"seq\":%d,\"kind\":\"grant\"}\n\n", i, i)
				w.(http.Flusher).Flush()
				time.Sleep(gap)
			}
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &fetches
}

// readEvents reads n events from the feed, checks their order, and returns
// the time between each two batches of them.
func readEvents(t *testing.T, f *Feed, n int) (gaps []time.Duration) {
	t.Helper()
	seen := 0
	var last time.Time
	for seen < n {
		m := waitMsg[EventsMsg](t, f, 5*time.Second, nil)
		now := time.Now()
		if seen > 0 {
			gaps = append(gaps, now.Sub(last))
		}
		last = now
		for _, e := range m.Events {
			if e.Seq != int64(seen+1) {
				t.Fatalf("event %d after %d", e.Seq, seen)
			}
			seen++
		}
	}
	return gaps
}

// TestThrottle: a burst of events makes few status fetches.
func TestThrottle(t *testing.T) {
	srv, fetches := eventServer(t, 200, 2*time.Millisecond, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := Start(ctx, Options{Servers: []string{srv.URL}, Throttle: 200 * time.Millisecond, Poll: time.Hour})
	readEvents(t, f, 200)
	// 200 events over about 0.4 s: the first fetch, then at most one per 200 ms.
	if n := fetches.Load(); n > 5 {
		t.Errorf("%d status fetches for a burst of 200 events, want at most 5", n)
	}
}

// TestThrottleSlowStatus: when a status fetch is slow (a big site), the feed
// fetches it less often, so that one monitor cannot keep the server busy.
func TestThrottleSlowStatus(t *testing.T) {
	srv, fetches := eventServer(t, 250, 4*time.Millisecond, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := Start(ctx, Options{Servers: []string{srv.URL}, Throttle: 10 * time.Millisecond, Poll: 20 * time.Millisecond})
	gaps := readEvents(t, f, 250)
	// About a second of events. With a fixed 10 ms throttle the feed would
	// fetch about every 60 ms, 15 times or more; a 50 ms fetch keeps the
	// next 500 ms away.
	if n := fetches.Load(); n > 5 {
		t.Errorf("%d status fetches in about a second with 50 ms fetches, want at most 5", n)
	}
	// Events are not held back until the next fetch.
	if g := slices.Max(gaps); g > 250*time.Millisecond {
		t.Errorf("%v between two batches of events, want them passed on while the status waits", g)
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
	if m := waitMsg[ConnMsg](t, f, 5*time.Second, nil); m.State != Live || m.Addr != srv.Addr {
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

// TestFlappingStream: a server whose event stream fails at once is retried
// with backoff, not in a tight loop.
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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := Start(ctx, Options{Servers: []string{srv.URL}, MaxWait: time.Second})
	m := waitMsg(t, f, 5*time.Second, func(m ConnMsg) bool { return m.State == Down && m.Attempt == 3 })
	if Reason(m.Err) != "unavailable: no events" {
		t.Errorf("Reason = %q", Reason(m.Err))
	}
	time.Sleep(500 * time.Millisecond)
	if n := fetches.Load(); n > 6 {
		t.Errorf("%d status fetches in about a second, want backoff", n)
	}
}
