package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// asVictim is what a stranger can make of a status reply: a caller that
// claims the session status shows for the victim's checkout, with the
// victim's user, host and pid.
func asVictim(t *testing.T, addr, checkoutID string) wire.Client {
	t.Helper()
	for _, c := range status(t, addr).Checkouts {
		if c.ID == checkoutID {
			return wire.Client{Session: c.Session, User: c.User, Host: c.Host, PID: c.PID}
		}
	}
	t.Fatalf("checkout %s not in status", checkoutID)
	return wire.Client{}
}

// Status shows a handle for each session, never the session id: the id is
// the client's only credential.
func TestStatusDoesNotRevealSessionIDs(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	victim := newClient("ann")
	co, err := checkout(t, s.Addr, victim, "r", "cad_pro")
	if err != nil {
		t.Fatal(err)
	}
	got := asVictim(t, s.Addr, co.CheckoutID).Session
	if got == victim.Session || strings.Contains(got, victim.Session) {
		t.Fatalf("status shows the session id %s", got)
	}
	if want := wire.SessionHandle(victim.Session); got != want {
		t.Fatalf("status shows session %q, want the handle %q", got, want)
	}
}

// With what status shows, a stranger can neither check the victim's
// license in, nor keep the victim's seat alive with heartbeats.
func TestStrangerCannotActAsASessionFromStatus(t *testing.T) {
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: time.Minute, Lease: 3 * time.Minute})
	victim := newClient("ann")
	co, err := checkout(t, s.Addr, victim, "r", "cad_pro")
	if err != nil {
		t.Fatal(err)
	}
	mallory := asVictim(t, s.Addr, co.CheckoutID)

	tests := []struct {
		name string
		path string
		body any
	}{
		{"heartbeat", wire.PathHeartbeat, wire.HeartbeatRequest{Client: mallory}},
		{"checkin one", wire.PathCheckin, wire.CheckinRequest{Client: mallory, CheckoutID: co.CheckoutID}},
		{"checkin all", wire.PathCheckin, wire.CheckinRequest{Client: mallory, All: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reply map[string]any
			_, err := post(t, s.Addr, tt.path, tt.body, &reply)
			if err == nil && reply["released"] != nil && reply["released"] != float64(0) {
				t.Fatalf("%s as the victim released %v", tt.name, reply["released"])
			}
			if tt.path == wire.PathHeartbeat && (err == nil || err.Code != wire.CodeUnknownSession) {
				t.Fatalf("heartbeat as the victim: %v %v, want unknown_session", reply, err)
			}
		})
	}
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 1 {
		t.Fatalf("in use after the stranger's tries = %d, want 1", used)
	}
	// The victim dies: the stranger's heartbeats must not have kept its seat.
	fc.Advance(3*time.Minute + time.Second)
	waitFor(t, "the dead victim's checkout to be reclaimed", func() bool {
		used, _ := inUse(t, s.Addr, "cad_pro")
		return used == 0
	})
}

// A checkout id is shown in status (the admin removes by it), so a session
// that names another session's checkout is refused, not answered released 0
// or 1.
func TestCheckinOfAnotherSessionsCheckoutIsRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	victim := newClient("ann")
	co, err := checkout(t, s.Addr, victim, "r", "cad_pro")
	if err != nil {
		t.Fatal(err)
	}
	mallory := newClient("mallory")
	if _, err := checkout(t, s.Addr, mallory, "r", "cad_view"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []wire.Client{mallory, newClient("nobody")} {
		st, err := post(t, s.Addr, wire.PathCheckin, wire.CheckinRequest{Client: c, CheckoutID: co.CheckoutID}, nil)
		if err == nil || err.Code != wire.CodeUnknownCheckout || st != http.StatusNotFound {
			t.Fatalf("checkin of ann's checkout by %s: %v, want %s", c.User, err, wire.CodeUnknownCheckout)
		}
	}
	// The victim's session, claimed with another user or host, is not the victim.
	for _, c := range []wire.Client{{Session: victim.Session, User: "mallory", Host: victim.Host, PID: 1},
		{Session: victim.Session, User: victim.User, Host: "elsewhere", PID: 1}} {
		if _, err := post(t, s.Addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: c}, nil); err == nil || err.Code != wire.CodeUnknownSession {
			t.Fatalf("heartbeat of ann's session as %s@%s: %v, want unknown_session", c.User, c.Host, err)
		}
		if _, err := post(t, s.Addr, wire.PathCheckin, wire.CheckinRequest{Client: c, All: true}, nil); err == nil || err.Code != wire.CodeUnknownSession {
			t.Fatalf("checkin of ann's session as %s@%s: %v, want unknown_session", c.User, c.Host, err)
		}
	}
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 1 {
		t.Fatalf("in use = %d, want ann's 1", used)
	}
	// Checkin stays idempotent for the owner: a second checkin releases 0.
	for _, want := range []int{1, 0} {
		var ci wire.CheckinReply
		if _, err := post(t, s.Addr, wire.PathCheckin, wire.CheckinRequest{Client: victim, CheckoutID: co.CheckoutID}, &ci); err != nil || ci.Released != want {
			t.Fatalf("owner's checkin: %v %+v, want released %d", err, ci, want)
		}
	}
}

// A borrow is returned only by who holds its token: its id (in status and
// events) plus the borrower's user and host is not enough.
func TestReturnNeedsTheBorrowToken(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := newClient("ann")
	var br wire.BorrowReply
	if _, err := post(t, s.Addr, wire.PathBorrow, wire.BorrowRequest{Client: ann, RequestID: "b1", Feature: "cad_pro", Hours: 1}, &br); err != nil {
		t.Fatal(err)
	}
	var other wire.BorrowReply
	if _, err := post(t, s.Addr, wire.PathBorrow, wire.BorrowRequest{Client: ann, RequestID: "b2", Feature: "solver", Hours: 1}, &other); err != nil {
		t.Fatal(err)
	}
	st := status(t, s.Addr)
	if len(st.Borrows) != 2 {
		t.Fatalf("borrows in status: %+v", st.Borrows)
	}
	// A stranger: a new session, the victim's user and host, the id from status.
	mallory := newClient("ann")
	mallory.Host = ann.Host
	tests := []struct {
		name   string
		token  string
		code   string
		status int
	}{
		{"no token", "", wire.CodeBadRequest, http.StatusBadRequest},
		{"garbage", "abc.def", wire.CodeTokenInvalid, http.StatusForbidden},
		{"another borrow's token", other.Token, wire.CodeTokenInvalid, http.StatusForbidden},
		{"edited token", editSignature(br.Token), wire.CodeTokenInvalid, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := post(t, s.Addr, wire.PathReturn, wire.ReturnRequest{Client: mallory, BorrowID: br.BorrowID, Token: tt.token}, nil)
			if err == nil || err.Code != tt.code || st != tt.status {
				t.Fatalf("return without the borrow's token: %d %v, want %d %s", st, err, tt.status, tt.code)
			}
		})
	}
	if _, b := inUse(t, s.Addr, "cad_pro"); b != 1 {
		t.Fatalf("borrowed after the stranger's returns = %d, want 1", b)
	}
	// Another user holding the token is still not the borrower.
	bob := newClient("bob")
	if _, err := post(t, s.Addr, wire.PathReturn, wire.ReturnRequest{Client: bob, BorrowID: br.BorrowID, Token: br.Token}, nil); err == nil || err.Code != wire.CodeTokenInvalid {
		t.Fatalf("bob returns ann's borrow with her token: %v, want token_invalid", err)
	}
	var rr wire.ReturnReply
	if _, err := post(t, s.Addr, wire.PathReturn, wire.ReturnRequest{Client: mallory, BorrowID: br.BorrowID, Token: br.Token}, &rr); err != nil || !rr.Returned {
		t.Fatalf("return with the token (from a later process of ann's): %v %+v", err, rr)
	}
}

// The events stream shows the same handle as status, never a session id.
func TestEventsDoNotRevealSessionIDs(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	victim := newClient("ann")
	if _, err := checkout(t, s.Addr, victim, "r", "cad_pro"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + s.Addr + wire.PathEvents)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	deadline := time.AfterFunc(5*time.Second, func() { resp.Body.Close() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, victim.Session) {
			t.Fatalf("events stream shows the session id: %s", line)
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var e wire.Event
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			t.Fatal(err)
		}
		if e.Kind == wire.EventGrant {
			if want := wire.SessionHandle(victim.Session); e.Session != want {
				t.Fatalf("grant event session %q, want the handle %q", e.Session, want)
			}
			return
		}
	}
	t.Fatal("no grant event in the replay")
}

// The admin removes a session by the handle status shows.
func TestAdminRemovesASessionByItsHandle(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := newClient("ann")
	co, err := checkout(t, s.Addr, c, "r", "cad_pro")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkout(t, s.Addr, c, "r2", "solver"); err != nil {
		t.Fatal(err)
	}
	handle := asVictim(t, s.Addr, co.CheckoutID).Session
	st, body := adminPost(t, s.Addr, wire.PathRemove, s.AdminToken, wire.RemoveRequest{Session: handle})
	if st != http.StatusOK || !strings.Contains(string(body), `"removed":2`) {
		t.Fatalf("remove by handle: %d %s", st, body)
	}
	if _, err := post(t, s.Addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: c}, nil); err == nil || err.Code != wire.CodeUnknownSession {
		t.Fatalf("heartbeat after remove: %v, want unknown_session", err)
	}
}

// editSignature changes one character in the middle of tok's signature (the
// last ones may only carry padding bits).
func editSignature(tok string) string {
	i := strings.IndexByte(tok, '.') + 10
	c := byte('A')
	if tok[i] == c {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
