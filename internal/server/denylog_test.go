package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/server"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// Contention logs two lines per feature and code per interval (the first
// denial, then how many more), not one per denial, even at --log-level
// warn; the metrics still count every one.
func TestRepeatedDenialsAreSummarised(t *testing.T) {
	fc := clock.NewFake(epoch)
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := servertest.Start(t, servertest.Options{Clock: fc, Logger: logger, HeartbeatInterval: time.Minute, Lease: 3 * time.Minute})
	for i := range 2 { // solver has COUNT 2
		if _, err := checkout(t, s.Addr, newClient(fmt.Sprint("holder", i)), "r", "solver"); err != nil {
			t.Fatal(err)
		}
	}
	const denied = 30
	for i := range denied {
		if _, err := checkout(t, s.Addr, newClient(fmt.Sprint("u", i)), "r", "solver"); err == nil || err.Code != wire.CodeCountExhausted {
			t.Fatalf("checkout %d past COUNT: %v", i, err)
		}
	}
	if got := logs.lines("level=WARN"); len(got) != 1 || !strings.Contains(got[0], "user=u0") {
		t.Fatalf("log after %d denials within the interval: %q, want the first denial only", denied, got)
	}
	fc.Advance(server.DefaultDenyLogInterval)
	want := fmt.Sprintf("denied %d more requests for solver in 10s: count_exhausted (last: user u%d host ws-u%d)", denied-1, denied-1, denied-1)
	waitFor(t, "the summary of the interval", func() bool { return len(logs.lines(want)) == 1 })
	// The next interval starts with a denial logged at once.
	if _, err := checkout(t, s.Addr, newClient("late"), "r", "solver"); err == nil {
		t.Fatal("checkout past COUNT granted")
	}
	if got := logs.lines("user=late"); len(got) != 1 {
		t.Fatalf("first denial of a new interval: %q, want it logged", got)
	}
	if got := len(logs.lines("level=WARN")); got != 3 {
		t.Fatalf("%d warning lines for %d denials, want 3:\n%s", got, denied+1, strings.Join(logs.lines(""), "\n"))
	}
	if m := metricsText(t, s.Addr); !strings.Contains(m, fmt.Sprintf(`floatlic_denials_total{feature="solver",code="count_exhausted"} %d`, denied+1)) {
		t.Fatalf("metrics do not count every denial:\n%s", m)
	}
}

func metricsText(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + wire.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
