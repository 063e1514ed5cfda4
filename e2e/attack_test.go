package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// An attacker on the network, against the built licd: what status shows
// does not let it act as another session, return another's borrow, or
// make up grace reports (issue 17, items 2 and 3).
func TestAttackerCannotActForOthersOrMakeUpGrace(t *testing.T) {
	p := startLicd(t, "demo", "--listen", "127.0.0.1:0")
	victim := session()
	victim.User, victim.Host = "ann", "ws1"
	var co wire.CheckoutReply
	if werr, err := call(p.addr, wire.PathCheckout, wire.CheckoutRequest{Client: victim, RequestID: "r", Feature: "cad_pro"}, &co); err != nil || werr != nil {
		t.Fatal(err, werr)
	}
	var br wire.BorrowReply
	if werr, err := call(p.addr, wire.PathBorrow, wire.BorrowRequest{Client: victim, RequestID: "b", Feature: "cad_pro", Hours: 1}, &br); err != nil || werr != nil {
		t.Fatal(err, werr)
	}

	st := getStatus(t, p.addr)
	if len(st.Checkouts) != 1 || len(st.Borrows) != 1 {
		t.Fatalf("status: %+v", st)
	}
	seen := st.Checkouts[0]
	if seen.Session == victim.Session {
		t.Fatal("status shows the victim's session id")
	}
	mallory := wire.Client{Session: seen.Session, User: seen.User, Host: seen.Host, PID: seen.PID}
	stranger := session()
	stranger.User, stranger.Host = "ann", "ws1"
	tries := []struct {
		name string
		path string
		req  any
	}{
		{"checkin as the victim", wire.PathCheckin, wire.CheckinRequest{Client: mallory, CheckoutID: seen.ID}},
		{"checkin of the victim's checkout", wire.PathCheckin, wire.CheckinRequest{Client: stranger, CheckoutID: seen.ID}},
		{"heartbeat as the victim", wire.PathHeartbeat, wire.HeartbeatRequest{Client: mallory}},
		{"return with user and host", wire.PathReturn, wire.ReturnRequest{Client: stranger, BorrowID: st.Borrows[0].ID}},
	}
	for _, tt := range tries {
		var reply map[string]any
		werr, err := call(p.addr, tt.path, tt.req, &reply)
		if err != nil {
			t.Fatal(err)
		}
		if werr == nil {
			t.Errorf("%s: accepted, %v", tt.name, reply)
		}
	}
	for i := range 20 {
		r := wire.GraceReport{Client: stranger, TokenID: fmt.Sprint("fake", i), Feature: "cad_pro",
			Activated: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Expires: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}
		if werr, err := call(p.addr, wire.PathGrace, r, &wire.GraceReply{}); err != nil || werr == nil {
			t.Fatalf("made-up grace report %d: %v %v, want refused", i, err, werr)
		}
	}
	st = getStatus(t, p.addr)
	if f := featureOf(st, "cad_pro"); f.InUse != 1 || f.Borrowed != 1 || f.Grace != 0 || len(st.Graces) != 0 {
		t.Fatalf("after the attack cad_pro is %+v with graces %+v; want 1 in use, 1 borrowed, no grace", f, st.Graces)
	}
	// The victim still can.
	var rr wire.ReturnReply
	if werr, err := call(p.addr, wire.PathReturn, wire.ReturnRequest{Client: victim, BorrowID: br.BorrowID, Token: br.Token}, &rr); err != nil || werr != nil || !rr.Returned {
		t.Fatalf("the borrower's return: %v %v %+v", err, werr, rr)
	}
}
