package loadgen

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/servertest"
)

// bigTemplate serves a pool large enough for any test here.
var bigTemplate = []byte(`FEATURE bench {
  VENDOR  = acme
  VERSION = 1.0
  COUNT   = 100000
  EXPIRE  = permanent
}
FEATURE small {
  VENDOR  = acme
  VERSION = 1.0
  COUNT   = 3
  EXPIRE  = permanent
}
`)

func startServer(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.Options{Template: bigTemplate, HeartbeatInterval: time.Second, Lease: time.Minute})
}

// waitSessions waits until the server holds n sessions.
func waitSessions(t *testing.T, s *servertest.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second) // a lease or two, on a loaded machine
	for s.Server().Engine().Sessions() != n {
		if time.Now().After(deadline) {
			t.Fatalf("server holds %d sessions, want %d", s.Server().Engine().Sessions(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestModes(t *testing.T) {
	s := startServer(t)
	tests := []struct {
		name  string
		cfg   Config
		kinds []string
	}{
		{"churn", Config{Mode: Churn, Clients: 4}, []string{"checkout", "checkin"}},
		{"churn open loop", Config{Mode: Churn, Clients: 4, Rate: 400}, []string{"checkout", "checkin"}},
		{"churn with Go's transport", Config{Mode: Churn, Clients: 4, Transport: TransportNetHTTP}, []string{"checkout", "checkin"}},
		{"heartbeat", Config{Mode: Heartbeat, Sessions: 40, Interval: 100 * time.Millisecond, Workers: 4}, []string{"heartbeat"}},
		{"mixed", Config{Mode: Mixed, Clients: 2, Sessions: 20, Interval: 100 * time.Millisecond}, []string{"checkout", "checkin", "heartbeat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Server, cfg.Feature, cfg.Duration = s.Addr, "bench", 300*time.Millisecond
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Ops == 0 || res.OpsPerSec <= 0 || res.Errors != 0 {
				t.Fatalf("ops %d (%.0f/s), errors %v", res.Ops, res.OpsPerSec, res.ErrorSamples)
			}
			for _, k := range tt.kinds {
				if st := res.Requests[k]; st.Count == 0 || st.P50ms <= 0 || st.P99ms < st.P50ms || st.MaxMs < st.P99ms {
					t.Errorf("%s: %+v", k, st)
				}
			}
			if want := cmp.Or(cfg.Transport, TransportLean); res.Transport != want {
				t.Errorf("transport %q, want %q", res.Transport, want)
			}
			if len(res.Requests) != len(tt.kinds) {
				t.Errorf("requests %v, want only %v", res.Requests, tt.kinds)
			}
			if res.ServerRSSBytes <= 0 || res.ServerSessions == 0 {
				t.Errorf("server figures missing: RSS %d, sessions %d", res.ServerRSSBytes, res.ServerSessions)
			}
			if cfg.Rate > 0 && (res.OpsPerSec > 1.2*cfg.Rate) {
				t.Errorf("open loop at %g/s ran %.0f/s", cfg.Rate, res.OpsPerSec)
			}
			// Operations with due times (open loop, heartbeats) report how
			// late licbench began them; a closed loop has none.
			due := res.Requests["heartbeat"].Count
			if cfg.Rate > 0 {
				due += res.Requests["checkout"].Count
			}
			if lag := res.StartLag; (due > 0) != (lag != nil) || lag != nil && (lag.Count < due || lag.MaxMs < lag.P50ms) {
				t.Errorf("start lag %+v, %d operations with due times", lag, due)
			}
			checkReadLag(t, res, tt.kinds)
			waitSessions(t, s, 0) // every session was closed
		})
	}
}

// checkReadLag checks the figures from the kernel's receive times: on
// Linux with the lean transport, no latency to the socket is longer than
// the longest whole latency (replies that came before the kernel turned
// receive times on have none, so the quantiles are of fewer requests and
// not comparable); Go's transport has none.
func checkReadLag(t *testing.T, res *Result, kinds []string) {
	t.Helper()
	if runtime.GOOS != "linux" || res.Transport != TransportLean {
		if res.ReadLag != nil || res.AtSocket != nil {
			t.Errorf("read lag %+v, at socket %+v, with the %s transport on %s", res.ReadLag, res.AtSocket, res.Transport, runtime.GOOS)
		}
		return
	}
	if res.ReadLag == nil || res.ReadLag.Count == 0 {
		t.Fatalf("no read lag from %d requests", res.Ops)
	}
	for _, k := range kinds {
		at, all := res.AtSocket[k], res.Requests[k]
		if at.Count == 0 || at.Count > all.Count || at.P99ms < at.P50ms || at.MaxMs < at.P99ms || at.MaxMs > all.MaxMs {
			t.Errorf("%s: at the socket %+v, in all %+v", k, at, all)
		}
	}
}

func TestCountTooSmall(t *testing.T) {
	s := startServer(t)
	for _, cfg := range []Config{
		{Mode: Churn, Clients: 4},
		{Mode: Heartbeat, Sessions: 4},
	} {
		cfg.Server, cfg.Feature, cfg.Duration = s.Addr, "small", time.Second
		_, err := Run(context.Background(), cfg)
		if !errors.Is(err, ErrCountTooSmall) || !strings.Contains(err.Error(), "COUNT 3") {
			t.Errorf("%s with 4 sessions on COUNT 3: %v, want ErrCountTooSmall naming the count", cfg.Mode, err)
		}
	}
	_, err := Run(context.Background(), Config{Server: s.Addr, Feature: "nosuch", Duration: time.Second})
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "bench") {
		t.Errorf("unknown feature: %v, want ErrUsage listing the served ones", err)
	}
	waitSessions(t, s, 0)
}

func TestPicksTheLargestPool(t *testing.T) {
	s := startServer(t)
	res, err := Run(context.Background(), Config{Server: s.Addr, Clients: 2, Duration: 100 * time.Millisecond})
	if err != nil || res.Feature != "bench" {
		t.Fatalf("feature %q, %v; want bench", res.Feature, err)
	}
}

func TestBaselineAndJSON(t *testing.T) {
	res, err := Baseline(context.Background(), Config{Clients: 4, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops == 0 || res.Errors != 0 {
		t.Fatalf("baseline: ops %d errors %v", res.Ops, res.ErrorSamples)
	}
	b, _ := json.Marshal(res)
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"ops_per_sec", "p50_ms", "p99_ms", "p999_ms", "errors", "errors_by_code", "requests"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON has no %q: %s", k, b)
		}
	}
	wantText := []string{"pairs", "checkout", "p99", "errors     none"}
	if runtime.GOOS == "linux" {
		if mc, _ := m["machine"].(map[string]any); mc == nil || mc["cores"].(float64) < 1 || mc["steal_percent"] == nil {
			t.Errorf("JSON has no machine figures: %s", b)
		}
		wantText = append(wantText, "cores,", "steal")
	}
	var text strings.Builder
	res.WriteText(&text)
	for _, want := range wantText {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report has no %q:\n%s", want, text.String())
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Server: "x:1", Mode: "sideways"},
		{Server: "x:1", Clients: -1},
		{Server: "x:1", Mode: Heartbeat, Rate: 10},
		{Server: "x:1", Interval: time.Microsecond},
		{},
	} {
		if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrUsage) {
			t.Errorf("%+v: %v, want ErrUsage", cfg, err)
		}
	}
}

func TestCancelStopsEarly(t *testing.T) {
	// A checkout cut off by the cancel may reach the server after the
	// client's Close has ended its session, on another connection, and
	// open it again; the lease reclaims that session, so the lease here is
	// short enough for waitSessions.
	s := servertest.Start(t, servertest.Options{Template: bigTemplate, HeartbeatInterval: time.Second, Lease: 2 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once the run is under way, however long that takes here: with
	// 4 clients of one request in flight each, 100 commands at the server
	// mean the clients have had most of their replies.
	go func() {
		defer cancel()
		deadline := time.Now().Add(30 * time.Second)
		for s.Server().Engine().CommitStats().Commands < 100 && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	}()
	start := time.Now()
	res, err := Run(ctx, Config{Server: s.Addr, Feature: "bench", Clients: 4, Duration: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// A minute is only a failsafe: the run was to last ten.
	took := time.Since(start)
	if took > time.Minute || res.DurationS > took.Seconds() || res.Ops == 0 {
		t.Fatalf("cancelled run took %v, reported %.1fs with %d ops", took, res.DurationS, res.Ops)
	}
	waitSessions(t, s, 0)
}
