package server_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/server"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// The options file's refusals have their HTTP statuses (excluded 403,
// max_reached and reserved 409), and status shows the file in force.
func TestOptionsRefusalStatuses(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Options: "EXCLUDE solver USER mallory\nMAX 1 cad_view USER ann\nRESERVE 2 solver USER ann\n"})
	ann, mallory := newClient("ann"), newClient("mallory")
	if _, err := checkout(t, s.Addr, ann, "r1", "cad_view"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c       wire.Client
		req     string
		feature string
		status  int
		code    string
	}{
		{mallory, "r1", "solver", http.StatusForbidden, wire.CodeExcluded},
		{ann, "r2", "cad_view", http.StatusConflict, wire.CodeMaxReached},
		{newClient("bob"), "r1", "solver", http.StatusConflict, wire.CodeReserved},
	} {
		status, err := post(t, s.Addr, wire.PathCheckout, wire.CheckoutRequest{Client: tc.c, RequestID: tc.req, Feature: tc.feature}, nil)
		if status != tc.status || err == nil || err.Code != tc.code || !strings.Contains(err.Message, "(site.opt:") {
			t.Errorf("%s %s: %d %v, want %d %s naming its rule", tc.c.User, tc.feature, status, err, tc.status, tc.code)
		}
	}
	if p := status(t, s.Addr).Policy; p == nil || !strings.HasSuffix(p.Path, "site.opt") || p.Rules != 3 {
		t.Fatalf("status policy %+v, want site.opt with 3 rules", p)
	}
}

// The reaper ends a TIMEOUT feature's checkouts of a session idle that
// long, well within its lease; its other features stay.
func TestOptionsTimeoutReaped(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: time.Minute, Lease: time.Hour,
		Options: "TIMEOUT cad_pro 600\n"})
	ann := newClient("ann")
	for _, f := range []string{"cad_pro", "cad_view"} {
		if _, err := checkout(t, s.Addr, ann, "r-"+f, f); err != nil {
			t.Fatal(err)
		}
	}
	fc.Advance(9 * time.Minute)
	if _, err := post(t, s.Addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: ann}, nil); err != nil {
		t.Fatal(err)
	}
	fc.Advance(9 * time.Minute) // 18 minutes in, 9 since the heartbeat
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 1 {
		t.Fatalf("cad_pro in use %d 9 minutes after a heartbeat, want 1", used)
	}
	fc.Advance(time.Minute)
	waitFor(t, "the TIMEOUT to reclaim cad_pro", func() bool { used, _ := inUse(t, s.Addr, "cad_pro"); return used == 0 })
	if used, _ := inUse(t, s.Addr, "cad_view"); used != 1 {
		t.Fatalf("cad_view in use %d after cad_pro's TIMEOUT, want 1", used)
	}
}

// A bad options file stops the server from starting, naming file:line.
func TestOptionsBadFileRefusesStart(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	cfg := s.Config()
	s.Stop()
	cfg.Options = t.TempDir() + "/site.opt"
	if err := writeFile(cfg.Options, "MAX 1 cad_pro USER ann\nTIMEOUT cad_pro soon\n"); err != nil {
		t.Fatal(err)
	}
	_, err := server.New(cfg)
	if err == nil || !strings.Contains(err.Error(), "site.opt:2: TIMEOUT seconds \"soon\"") {
		t.Fatalf("New with a bad options file: %v", err)
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }

// A TIMEOUT no longer than the heartbeat interval is logged as a mistake.
func TestOptionsShortTimeoutWarns(t *testing.T) {
	var log logBuffer
	servertest.Start(t, servertest.Options{HeartbeatInterval: time.Minute, Lease: time.Hour, Logger: log.logger(),
		Options: "TIMEOUT cad_pro 60\nTIMEOUT cad_view 61\n"})
	if n := log.count("level=WARN", "TIMEOUT cad_pro 60 (site.opt:1)"); n != 1 {
		t.Fatalf("%d warnings about TIMEOUT cad_pro 60, want 1:\n%s", n, log.String())
	}
	if n := log.count("TIMEOUT cad_view"); n != 0 {
		t.Fatalf("warned about TIMEOUT cad_view 61:\n%s", log.String())
	}
}
