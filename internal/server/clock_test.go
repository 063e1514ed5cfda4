package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// A server clock set back (further than the tolerance, 5 minutes) behind the
// newest time the database holds stops features with an EXPIRE or START
// from being served, at start and while running, across restarts, until
// the clock is right again; permanent features are served throughout.
func TestClockSetBackIsRefused(t *testing.T) {
	right := time.Date(2030, 12, 31, 12, 0, 0, 0, time.UTC) // the demo's cad_pro expires at the end of this day
	fc := clock.NewFake(right)
	var log logBuffer
	s := servertest.Start(t, servertest.Options{Clock: fc, Logger: log.logger(), HeartbeatInterval: time.Minute, Lease: time.Hour})
	want := func(step, feature, code string) {
		t.Helper()
		_, err := checkout(t, s.Addr, newClient("ann"), "r", feature)
		switch {
		case code == "" && err != nil:
			t.Fatalf("%s: %s: %v, want it served", step, feature, err)
		case code != "" && (err == nil || err.Code != code):
			t.Fatalf("%s: %s: %v, want %s", step, feature, err, code)
		}
	}
	want("right clock", "cad_pro", "")
	want("right clock", "cad_view", "")

	fc.Set(right.Add(-4 * time.Minute))
	want("back within the tolerance", "cad_pro", "")

	fc.Set(right.Add(-time.Hour))
	want("set back while running", "cad_pro", wire.CodeClockWindback)
	want("set back while running", "cad_view", "")
	status, err := post(t, s.Addr, wire.PathCheckout, wire.CheckoutRequest{Client: newClient("bob"), RequestID: "r", Feature: "cad_pro"}, nil)
	if status != http.StatusForbidden {
		t.Fatalf("clock_windback answered with status %d, want 403", status)
	}
	for _, w := range []string{"2030-12-31T11:00:00Z", "2030-12-31T12:00:00Z"} {
		if err == nil || !strings.Contains(err.Message, w) {
			t.Fatalf("refusal %v does not name %s", err, w)
		}
	}
	if n := log.count("level=ERROR", "clock"); n != 1 {
		t.Fatalf("%d ERROR lines about the clock, want 1:\n%s", n, log.String())
	}
	for i := range 2 { // the second restart finds only events of the set-back clock
		s.Restart()
		want("set back, restarted", "cad_pro", wire.CodeClockWindback)
		want("set back, restarted", "cad_view", "")
		if n := log.count("level=ERROR", "clock"); n != 2+i {
			t.Fatalf("restart %d: %d ERROR lines about the clock, want %d:\n%s", i, n, 2+i, log.String())
		}
	}

	fc.Set(right.Add(time.Minute))
	want("clock corrected", "cad_pro", "")
}
