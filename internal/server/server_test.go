package server_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// FlexNet's known bug: a client whose network goes away for longer than a
// heartbeat interval reconnects (a new connection) and checks out again. The
// server must count one license, and none after the check-in.
func TestReconnectDoesNotConsumeASecondLicense(t *testing.T) {
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: time.Minute, Lease: 4 * time.Minute})
	c := newClient("ann")
	first, err := checkout(t, s.Addr, c, "req-1", "cad_pro")
	if err != nil {
		t.Fatal(err)
	}
	fc.Advance(90 * time.Second) // the cable is out for longer than one heartbeat
	again, err := checkout(t, s.Addr, c, "req-1", "cad_pro")
	if err != nil {
		t.Fatal(err)
	}
	if again.CheckoutID != first.CheckoutID {
		t.Fatalf("retry got checkout %s, want the first one %s", again.CheckoutID, first.CheckoutID)
	}
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 1 {
		t.Fatalf("in use after reconnect = %d, want 1", used)
	}
	var hb wire.HeartbeatReply
	if _, err := post(t, s.Addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: c}, &hb); err != nil {
		t.Fatal(err)
	}
	if len(hb.Checkouts) != 1 || hb.Checkouts[0] != first.CheckoutID {
		t.Fatalf("heartbeat lists %v, want [%s]", hb.Checkouts, first.CheckoutID)
	}
	var ci wire.CheckinReply
	if _, err := post(t, s.Addr, wire.PathCheckin, wire.CheckinRequest{Client: c, All: true}, &ci); err != nil {
		t.Fatal(err)
	}
	if ci.Released != 1 {
		t.Fatalf("released %d, want 1", ci.Released)
	}
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 0 {
		t.Fatalf("in use after checkin = %d, want 0", used)
	}
}

// Heartbeats are answered from memory and their times written in bulk,
// every 5 minutes; when heartbeats are all the server hears, the reaper
// writes them, so a crash loses at most 5 minutes of them.
func TestHeartbeatTimesAreWrittenWithoutOtherTraffic(t *testing.T) {
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: time.Minute, Lease: 10 * time.Minute})
	c := newClient("cat")
	if _, err := checkout(t, s.Addr, c, "r", "cad_pro"); err != nil {
		t.Fatal(err)
	}
	fc.Advance(2 * time.Minute)
	if _, err := post(t, s.Addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: c}, nil); err != nil {
		t.Fatal(err)
	}
	want := fc.Now()
	fc.Advance(3 * time.Minute) // the flush period since the last flush, at start
	st, err := store.Open(filepath.Join(s.DataDir, "licd.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitFor(t, "the heartbeat time in the store", func() bool {
		snap, err := st.Load()
		if err != nil {
			t.Fatal(err)
		}
		return len(snap.Sessions) == 1 && snap.Sessions[0].LastHeartbeat.Equal(want)
	})
}

// A client killed without checking in is reclaimed one lease later.
func TestDeadClientIsReclaimedAfterLease(t *testing.T) {
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: time.Minute, Lease: 3 * time.Minute})
	c := newClient("bob")
	if _, err := checkout(t, s.Addr, c, "r", "cad_pro"); err != nil {
		t.Fatal(err)
	}
	fc.Advance(2 * time.Minute)
	time.Sleep(100 * time.Millisecond) // several reaper ticks: nothing is due yet
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 1 {
		t.Fatalf("reclaimed before the lease ran out: in use %d", used)
	}
	fc.Advance(61 * time.Second)
	waitFor(t, "the reaper to reclaim the checkout", func() bool {
		used, _ := inUse(t, s.Addr, "cad_pro")
		return used == 0
	})
	_, err := post(t, s.Addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: c}, nil)
	if err == nil || err.Code != wire.CodeUnknownSession {
		t.Fatalf("heartbeat after reclaim: %v, want unknown_session", err)
	}
	// The client checks out again with the same request id: a new license.
	if _, err := checkout(t, s.Addr, c, "r", "cad_pro"); err != nil {
		t.Fatal(err)
	}
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 1 {
		t.Fatalf("in use after re-checkout = %d, want 1", used)
	}
}

// A mass expiry (a site cut off for longer than the lease) is reclaimed a
// chunk of sessions per batch, not in one transaction that holds every
// other request.
func TestMassExpiryIsReclaimedInChunks(t *testing.T) {
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, Template: servertest.BigTemplate, HeartbeatInterval: time.Minute, Lease: 3 * time.Minute})
	e := s.Server().Engine()
	const n = 300
	clients := make([]wire.Client, n)
	for i := range clients {
		clients[i] = newClient(fmt.Sprint("u", i))
	}
	liveSessionsAt(t, e, clients, fc.Now())
	before := e.CommitStats().Batches
	fc.Advance(4 * time.Minute)
	waitFor(t, "the reaper to reclaim every session", func() bool { return e.Sessions() == 0 })
	if used, _ := inUse(t, s.Addr, "bench"); used != 0 {
		t.Fatalf("in use after the expiry = %d, want 0", used)
	}
	if batches := e.CommitStats().Batches - before; batches < (n+63)/64 {
		t.Errorf("%d sessions reclaimed in %d batches, want at least %d", n, batches, (n+63)/64)
	}
}

// COUNT=5 and 50 clients racing: exactly 5 granted, 45 count_exhausted.
func TestConcurrentCheckoutsNeverExceedCount(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	const n = 50
	clients := make([]wire.Client, n)
	for i := range clients {
		clients[i] = newClient("u")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := map[int]string{}
	codes := map[string]int{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := checkout(t, s.Addr, clients[i], "r1", "cad_pro")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[err.Code]++
				return
			}
			granted[i] = r.CheckoutID
		}()
	}
	wg.Wait()
	if len(granted) != 5 || codes[wire.CodeCountExhausted] != 45 {
		t.Fatalf("granted %d, refused %v; want 5 granted and 45 count_exhausted", len(granted), codes)
	}
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 5 {
		t.Fatalf("in use = %d, want 5", used)
	}
	for i, id := range granted {
		if _, err := post(t, s.Addr, wire.PathCheckin, wire.CheckinRequest{Client: clients[i], CheckoutID: id}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 0 {
		t.Fatalf("in use after checkins = %d, want 0", used)
	}
	for i := range 5 {
		if _, err := checkout(t, s.Addr, clients[n-1-i], "r2", "cad_pro"); err != nil {
			t.Fatalf("pool not full again: %v", err)
		}
	}
}

// A restart keeps checkouts and sessions: clients heartbeat on without a new
// checkout, and the pool is not over-issued.
func TestRestartKeepsCheckoutsAndSessions(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	var holders []wire.Client
	for range 3 {
		c := newClient("ann")
		if _, err := checkout(t, s.Addr, c, "r", "cad_pro"); err != nil {
			t.Fatal(err)
		}
		holders = append(holders, c)
	}
	before := status(t, s.Addr).Server.Instance
	s.Restart()
	if after := status(t, s.Addr).Server.Instance; after == before {
		t.Fatalf("instance id %s did not change across a restart", after)
	}
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 3 {
		t.Fatalf("in use after restart = %d, want 3", used)
	}
	for _, c := range holders {
		var hb wire.HeartbeatReply
		if _, err := post(t, s.Addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: c}, &hb); err != nil {
			t.Fatalf("heartbeat after restart: %v", err)
		}
		if len(hb.Checkouts) != 1 {
			t.Fatalf("heartbeat after restart lists %v, want one checkout", hb.Checkouts)
		}
	}
	for i := range 3 {
		_, err := checkout(t, s.Addr, newClient("new"), "r", "cad_pro")
		if i < 2 && err != nil {
			t.Fatalf("checkout %d after restart: %v", i, err)
		}
		if i == 2 && (err == nil || err.Code != wire.CodeCountExhausted) {
			t.Fatalf("sixth license granted after restart: %v", err)
		}
	}
}

func TestBorrowReducesPoolSurvivesRestartAndExpires(t *testing.T) {
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: time.Minute, Lease: 3 * time.Minute})
	c := newClient("cy")
	var br wire.BorrowReply
	if _, err := post(t, s.Addr, wire.PathBorrow, wire.BorrowRequest{Client: c, RequestID: "b1", Feature: "solver", Hours: 24}, &br); err != nil {
		t.Fatal(err)
	}
	if br.Token == "" || br.ServerKey == "" || !br.Expires.Equal(epoch.Add(24*time.Hour)) {
		t.Fatalf("borrow reply %+v: want a token, a key and expiry in 24 h", br)
	}
	_, err := post(t, s.Addr, wire.PathBorrow, wire.BorrowRequest{Client: c, RequestID: "b2", Feature: "solver", Hours: 25}, nil)
	if err == nil || err.Code != wire.CodeBorrowTooLong {
		t.Fatalf("borrow of 25 h (BORROW 24): %v, want borrow_too_long", err)
	}
	_, err = post(t, s.Addr, wire.PathBorrow, wire.BorrowRequest{Client: c, RequestID: "b3", Feature: "cad_view", Hours: 1}, nil)
	if err == nil || err.Code != wire.CodeBorrowNotAllowed {
		t.Fatalf("borrow of a feature without BORROW: %v, want borrow_not_allowed", err)
	}
	s.Restart()
	if _, b := inUse(t, s.Addr, "solver"); b != 1 {
		t.Fatalf("borrowed after restart = %d, want 1", b)
	}
	// solver has COUNT 2: one borrowed leaves one.
	if _, err := checkout(t, s.Addr, newClient("d"), "r", "solver"); err != nil {
		t.Fatal(err)
	}
	if _, err := checkout(t, s.Addr, newClient("e"), "r", "solver"); err == nil || err.Code != wire.CodeCountExhausted {
		t.Fatalf("checkout past COUNT with a borrow out: %v", err)
	}
	fc.Advance(24 * time.Hour)
	waitFor(t, "the borrow to expire", func() bool { _, b := inUse(t, s.Addr, "solver"); return b == 0 })

	// Return early.
	c2 := newClient("fay")
	if _, err := post(t, s.Addr, wire.PathBorrow, wire.BorrowRequest{Client: c2, RequestID: "b1", Feature: "cad_pro", Hours: 1}, &br); err != nil {
		t.Fatal(err)
	}
	var rr wire.ReturnReply
	if _, err := post(t, s.Addr, wire.PathReturn, wire.ReturnRequest{Client: newClient("mallory"), BorrowID: br.BorrowID, Token: br.Token}, nil); err == nil || err.Code != wire.CodeTokenInvalid {
		t.Fatalf("another user's return: %v, want token_invalid", err)
	}
	if _, err := post(t, s.Addr, wire.PathReturn, wire.ReturnRequest{Client: c2, BorrowID: br.BorrowID, Token: br.Token}, &rr); err != nil || !rr.Returned {
		t.Fatalf("return: %v %+v", err, rr)
	}
	if _, b := inUse(t, s.Addr, "cad_pro"); b != 0 {
		t.Fatalf("borrowed after return = %d", b)
	}
}

func TestCheckoutRefusals(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	tests := []struct {
		name    string
		feature string
		version string
		code    string
		status  int
	}{
		{"unknown feature", "nope", "", wire.CodeUnknownFeature, http.StatusNotFound},
		{"version too high", "cad_pro", "2.1", wire.CodeVersionTooHigh, http.StatusForbidden},
		{"version ok", "solver", "3.0", "", http.StatusOK},
		{"version equal", "solver", "3.1", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := post(t, s.Addr, wire.PathCheckout, wire.CheckoutRequest{Client: newClient("g"), RequestID: "r",
				Feature: tt.feature, Version: tt.version}, nil)
			if st != tt.status || (err == nil) != (tt.code == "") || (err != nil && err.Code != tt.code) {
				t.Fatalf("got %d %v, want %d %s", st, err, tt.status, tt.code)
			}
		})
	}
}

func TestExpiredFeatureIsRefused(t *testing.T) {
	fc := clock.NewFake(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)) // demo features expire 2030-12-31
	s := servertest.Start(t, servertest.Options{Clock: fc})
	if _, err := checkout(t, s.Addr, newClient("h"), "r", "cad_pro"); err == nil || err.Code != wire.CodeExpired {
		t.Fatalf("checkout after EXPIRE: %v, want expired", err)
	}
	if _, err := checkout(t, s.Addr, newClient("h"), "r", "cad_view"); err != nil {
		t.Fatalf("permanent feature: %v", err)
	}
}

func TestHostIDAndStart(t *testing.T) {
	tmpl := []byte(`FEATURE locked {
  VENDOR  = acme
  VERSION = 1.0
  COUNT   = 3
  HOSTID  = "no-such-host-id-anywhere"
  EXPIRE  = permanent
}
FEATURE later {
  VENDOR  = acme
  VERSION = 1.0
  COUNT   = 3
  START   = 2026-06-01
  EXPIRE  = permanent
}
`)
	fc := clock.NewFake(epoch) // 2026-03-01
	s := servertest.Start(t, servertest.Options{Clock: fc, Template: tmpl})
	if _, err := checkout(t, s.Addr, newClient("h"), "r", "locked"); err == nil || err.Code != wire.CodeHostMismatch {
		t.Fatalf("checkout of a feature locked to another host: %v, want host_mismatch", err)
	}
	if _, err := checkout(t, s.Addr, newClient("h"), "r", "later"); err == nil || err.Code != wire.CodeNotStarted {
		t.Fatalf("checkout before START: %v, want not_started", err)
	}
	fc.Set(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if _, err := checkout(t, s.Addr, newClient("h"), "r", "later"); err != nil {
		t.Fatalf("checkout on the START day: %v", err)
	}
}

// A checkout of more licenses than COUNT can never be granted: the
// refusal says so, rather than that the licenses are all in use.
func TestCheckoutOfMoreThanCount(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	tests := []struct {
		name  string
		count int
		want  string
	}{
		{"more than COUNT", 6, "6 licenses of cad_pro asked for, more than its COUNT of 5"},
		{"fewer free than asked", 5, "only 4 of the 5 licenses of cad_pro are free (1 checked out, 0 borrowed): 5 asked for"},
	}
	if _, err := checkout(t, s.Addr, newClient("one"), "r", "cad_pro"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := post(t, s.Addr, wire.PathCheckout, wire.CheckoutRequest{Client: newClient("many"), RequestID: "r",
				Feature: "cad_pro", Count: tt.count}, nil)
			if err == nil || err.Code != wire.CodeCountExhausted || !strings.Contains(err.Message, tt.want) {
				t.Fatalf("checkout of %d: %v, want count_exhausted saying %q", tt.count, err, tt.want)
			}
		})
	}
}
