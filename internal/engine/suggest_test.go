package engine

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// openSite opens an engine serving the demo's features, as licd loads them
// from /etc/licd/site.lic.
func openSite(t *testing.T) *Engine {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "licd.db"), store.Options{Sync: store.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fs := []*Feature{
		{Name: "cad_pro", Version: "2.0", Count: 5, HostOK: true, BorrowHours: 72, Where: "/etc/licd/site.lic:2"},
		{Name: "cad_view", Version: "2.0", Count: 20, HostOK: true, Where: "/etc/licd/site.lic:9"},
		{Name: "solver", Version: "3.1", Count: 2, HostOK: true, BorrowHours: 24, Where: "/etc/licd/site.lic:12"},
	}
	e, err := Open(st, fs, Config{Lease: time.Hour}, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestRefusalMessages: a refusal says what to do about it — the limit and
// where it is written, the missing line, the name the user probably meant.
func TestRefusalMessages(t *testing.T) {
	e := openSite(t)
	for i, tc := range []struct {
		name string
		cmd  func(c wire.Client) Command
		code string
		msg  string
	}{
		{"borrow over BORROW", func(c wire.Client) Command {
			return Borrow{Now: testNow, Client: c, RequestID: "r", BorrowID: "b", Feature: "solver", Hours: 48, Allowed: true}
		}, wire.CodeBorrowTooLong, "solver may be borrowed for at most 24 hours (BORROW = 24 in its FEATURE block at site.lic:12); 48 asked"},
		{"borrow of no hours", func(c wire.Client) Command {
			return Borrow{Now: testNow, Client: c, RequestID: "r", BorrowID: "b", Feature: "solver", Hours: 0, Allowed: true}
		}, wire.CodeBorrowTooLong, "a borrow of solver lasts 1 hour or more; 0 asked"},
		{"borrow without BORROW", func(c wire.Client) Command {
			return Borrow{Now: testNow, Client: c, RequestID: "r", BorrowID: "b", Feature: "cad_view", Hours: 1, Allowed: true}
		}, wire.CodeBorrowNotAllowed, "feature cad_view may not be borrowed: its FEATURE block (site.lic:9) has no BORROW line"},
		{"checkout of a typo", func(c wire.Client) Command {
			return Checkout{Now: testNow, Client: c, RequestID: "r", CheckoutID: "c", Feature: "cad_prp"}
		}, wire.CodeUnknownFeature, `feature "cad_prp" is not served here; did you mean cad_pro? served: cad_pro, cad_view, solver`},
		{"checkout in another case", func(c wire.Client) Command {
			return Checkout{Now: testNow, Client: c, RequestID: "r", CheckoutID: "c", Feature: "Solver"}
		}, wire.CodeUnknownFeature, `feature "Solver" is not served here; did you mean solver? served: cad_pro, cad_view, solver`},
		{"checkout of nothing near", func(c wire.Client) Command {
			return Checkout{Now: testNow, Client: c, RequestID: "r", CheckoutID: "c", Feature: "mesher"}
		}, wire.CodeUnknownFeature, `feature "mesher" is not served here; served: cad_pro, cad_view, solver`},
		{"borrow of a typo", func(c wire.Client) Command {
			return Borrow{Now: testNow, Client: c, RequestID: "r", BorrowID: "b", Feature: "solvr", Hours: 1, Allowed: true}
		}, wire.CodeUnknownFeature, `feature "solvr" is not served here; did you mean solver? served: cad_pro, cad_view, solver`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Submit(tc.cmd(wire.Client{Session: fmt.Sprintf("s%d", i), User: "ann", Host: "ws1"}))
			if r.Err == nil || r.Err.Code != tc.code || r.Err.Message != tc.msg {
				t.Errorf("refused with %+v\nwant %s: %s", r.Err, tc.code, tc.msg)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	names := []string{"cad_pro", "cad_view", "solver", "ab"}
	for _, tc := range []struct{ in, want string }{
		{"cad_prp", "cad_pro"},
		{"cadpro", "cad_pro"},
		{"CAD_VIEW", "cad_view"},
		{"slover", "solver"}, // a swap is two edits; six letters allow two
		{"mesher", ""},
		{"xy", ""}, // two letters allow one edit
		{"ax", "ab"},
	} {
		if got := closest(tc.in, names); got != tc.want {
			t.Errorf("closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
