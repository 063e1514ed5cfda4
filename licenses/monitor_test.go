package licenses

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

var monitorNow = time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)

func monitorStatus() *Status {
	return &Status{
		Server:   ServerInfo{Instance: "inst-1", Role: "single", Serving: true, Now: monitorNow},
		Features: []FeatureStatus{{Name: "cad_pro", Version: "2.0", Count: 5, InUse: 1, Expires: "2027-12-31"}},
		Checkouts: []CheckoutInfo{{
			ID: "co-1", Feature: "cad_pro", User: "ann", Host: "ws1", PID: 4242, Count: 1,
			Session: strings.Repeat("ab", 16), Since: monitorNow.Add(-time.Hour),
			LastHeartbeat: monitorNow.Add(-time.Minute), LeaseUntil: monitorNow.Add(5 * time.Minute),
		}},
		Servers: []ServerNode{{ID: 1, Role: "single", Up: true, Serving: true}},
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func TestFetchStatus(t *testing.T) {
	want := monitorStatus()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != wire.PathStatus {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, http.StatusOK, want)
	}))
	defer srv.Close()

	for _, addr := range []string{srv.URL, strings.TrimPrefix(srv.URL, "http://")} {
		got, err := FetchStatus(context.Background(), addr, srv.Client())
		if err != nil {
			t.Fatalf("FetchStatus(%s): %v", addr, err)
		}
		if len(got.Checkouts) != 1 || got.Checkouts[0].User != "ann" || !got.Server.Now.Equal(monitorNow) {
			t.Errorf("FetchStatus(%s) = %+v", addr, got)
		}
	}
}

func TestFetchStatusUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()

	_, err := FetchStatus(context.Background(), addr, nil)
	if err == nil {
		t.Fatal("FetchStatus of a closed port succeeded")
	}
	if !isTransport(err) || ErrorCode(err) != "" {
		t.Errorf("err = %v (%T), want a transport error", err, err)
	}
}

func TestRemoveCheckout(t *testing.T) {
	const token = "s3cret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wire.PathRemove || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			writeJSON(w, http.StatusUnauthorized, wire.ErrorReply{Error: wire.Errorf(wire.CodeUnauthorized, "admin token required")})
			return
		}
		var req wire.RemoveRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.CheckoutID != "co-1" {
			writeJSON(w, http.StatusBadRequest, wire.ErrorReply{Error: wire.Errorf(wire.CodeBadRequest, "bad body")})
			return
		}
		writeJSON(w, http.StatusOK, wire.RemoveReply{Instance: "inst-1", Removed: 1})
	}))
	defer srv.Close()

	tests := []struct {
		name     string
		token    string
		wantN    int
		wantCode string
	}{
		{name: "valid token", token: token, wantN: 1},
		{name: "wrong token", token: "nope", wantCode: wire.CodeUnauthorized},
		{name: "no token", token: "", wantCode: wire.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := RemoveCheckout(context.Background(), srv.URL, tt.token, srv.Client(), wire.RemoveRequest{CheckoutID: "co-1"})
			if ErrorCode(err) != tt.wantCode || n != tt.wantN {
				t.Errorf("RemoveCheckout = %d, %v; want %d, code %q", n, err, tt.wantN, tt.wantCode)
			}
		})
	}
}

// sseServer serves body on /v1/events, then keeps the stream open until the
// request ends, or closes it at once when hold is false.
func sseServer(t *testing.T, body string, hold bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wire.PathEvents {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = fmt.Fprint(w, body)
		w.(http.Flusher).Flush()
		if hold {
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sseEvent(ev Event) string {
	b, _ := json.Marshal(ev)
	return fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", ev.Seq, ev.Kind, b)
}

func TestWatchEvents(t *testing.T) {
	grant := Event{Seq: 7, Time: monitorNow, Kind: wire.EventGrant, Feature: "cad_pro", User: "ann", Host: "ws1"}
	deny := Event{Seq: 8, Time: monitorNow, Kind: wire.EventDeny, Feature: "solver", User: "bob", Code: wire.CodeCountExhausted}
	body := ": hello\n\n" + sseEvent(grant) +
		"event: junk\ndata: not json\n\n" +
		": ping\n\n" + sseEvent(deny)

	t.Run("stream ends", func(t *testing.T) {
		srv := sseServer(t, body, false)
		var got []Event
		err := WatchEvents(context.Background(), srv.URL, srv.Client(), func(ev Event) { got = append(got, ev) })
		if !errors.Is(err, ErrEventStreamClosed) || !isTransport(err) {
			t.Errorf("err = %v, want ErrEventStreamClosed as a transport error", err)
		}
		if len(got) != 2 || got[0].Seq != 7 || got[1].Code != wire.CodeCountExhausted {
			t.Errorf("events = %+v", got)
		}
	})

	t.Run("context ends", func(t *testing.T) {
		srv := sseServer(t, body, true)
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := WatchEvents(ctx, srv.URL, srv.Client(), func(Event) {
			if n++; n == 2 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("silent server", func(t *testing.T) {
		old := eventIdleTimeout
		eventIdleTimeout = 100 * time.Millisecond
		defer func() { eventIdleTimeout = old }()
		srv := sseServer(t, ": ping\n\n", true)
		err := WatchEvents(context.Background(), srv.URL, srv.Client(), func(Event) {})
		if !errors.Is(err, ErrEventStreamClosed) {
			t.Errorf("err = %v, want ErrEventStreamClosed", err)
		}
	})

	t.Run("multi-line data", func(t *testing.T) {
		srv := sseServer(t, "data: {\"seq\": 3,\ndata: \"kind\": \"expire\"}\n\n", false)
		var got []Event
		_ = WatchEvents(context.Background(), srv.URL, srv.Client(), func(ev Event) { got = append(got, ev) })
		if len(got) != 1 || got[0].Seq != 3 || got[0].Kind != wire.EventExpire {
			t.Errorf("events = %+v", got)
		}
	})
}

func TestWatchEventsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, wire.ErrorReply{Error: wire.Errorf(wire.CodeNoQuorum, "1 of 3 nodes up")})
	}))
	defer srv.Close()
	err := WatchEvents(context.Background(), srv.URL, srv.Client(), func(Event) {})
	if ErrorCode(err) != wire.CodeNoQuorum {
		t.Errorf("err = %v, want no_quorum", err)
	}
}
