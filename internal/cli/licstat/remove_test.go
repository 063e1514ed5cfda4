package licstat

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/tui/views"
	"github.com/floatlic/floatlic/internal/wire"
)

// adminServer answers removes with reply, after checking the token, and
// records the request.
func adminServer(t *testing.T, reply wire.RemoveReply) (addr string, got *wire.RemoveRequest) {
	t.Helper()
	got = &wire.RemoveRequest{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wire.PathRemove || r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(wire.ErrorReply{Error: wire.Errorf(wire.CodeUnauthorized, "a valid admin token is required")})
			return
		}
		json.NewDecoder(r.Body).Decode(got)
		json.NewEncoder(w).Encode(reply)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), got
}

func tokenFile(t *testing.T, token string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(f, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRemoveOutput(t *testing.T) {
	until := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		args  []string
		reply wire.RemoveReply
		want  string
	}{
		{"by user with a hold", []string{"--user", "ann", "--hold", "1h"}, wire.RemoveReply{Removed: 3, HoldUntil: &until,
			Checkouts: []wire.RemovedCheckout{{ID: "c2", Feature: "cad_pro", User: "ann", Host: "ws2"},
				{ID: "c1", Feature: "cad_pro", User: "ann", Host: "ws1"}, {ID: "c3", Feature: "solver", User: "ann", Host: "ws1"}}},
			"removed 2 checkouts of cad_pro (ann@ws1, ann@ws2); hold until 2026-12-06T05:00:00Z\n" +
				"removed 1 checkout of solver (ann@ws1); hold until 2026-12-06T05:00:00Z\n"},
		{"one holder twice", []string{"--feature", "cad_pro"}, wire.RemoveReply{Removed: 3,
			Checkouts: []wire.RemovedCheckout{{ID: "c1", Feature: "cad_pro", User: "ann", Host: "ws1"},
				{ID: "c2", Feature: "cad_pro", User: "bob", Host: "ws2"}, {ID: "c3", Feature: "cad_pro", User: "ann", Host: "ws1"}}},
			"removed 3 checkouts of cad_pro (ann@ws1 ×2, bob@ws2)\n"},
		{"nothing matched", []string{"--host", "ws9"}, wire.RemoveReply{Dequeued: 2},
			"removed no checkouts: none matched\ndropped 2 queued requests from the queue\n"},
		{"one checkout", []string{"--checkout", "c1"}, wire.RemoveReply{Removed: 1}, "removed checkout c1\n"},
		{"a checkout not held", []string{"--checkout", "c1"}, wire.RemoveReply{}, "removed no checkout: c1 is not held\n"},
		{"a borrow", []string{"--borrow", "b1"}, wire.RemoveReply{Borrow: &wire.BorrowInfo{ID: "b1", Feature: "solver",
			User: "ann", Host: "ws1", Expires: until}},
			"revoked borrow b1 of solver (ann@ws1, was until 2026-12-06T05:00:00Z): its seat is back in the pool\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, got := adminServer(t, tt.reply)
			args := append([]string{"remove", "--server", addr, "--admin-token-file", tokenFile(t, "s3cret")}, tt.args...)
			code, out, errOut := runApp(t, args...)
			if code != 0 || out != tt.want {
				t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", code, out, tt.want, errOut)
			}
			if !strings.Contains(got.By, "@") {
				t.Errorf("request by %q, want user@host", got.By)
			}
		})
	}
}

func TestRemoveJSONAndHold(t *testing.T) {
	addr, got := adminServer(t, wire.RemoveReply{Removed: 1})
	code, out, _ := runApp(t, "remove", "--server", addr, "--admin-token-file", tokenFile(t, "s3cret"),
		"--user", "ann", "--feature", "cad_pro", "--hold", "90s", "--json")
	var reply wire.RemoveReply
	if code != 0 || json.Unmarshal([]byte(out), &reply) != nil || reply.Removed != 1 {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if got.User != "ann" || got.Feature != "cad_pro" || got.HoldSeconds != 90 {
		t.Errorf("request %+v", *got)
	}
}

func TestRemoveRefusals(t *testing.T) {
	addr, _ := adminServer(t, wire.RemoveReply{})
	good := tokenFile(t, "s3cret")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing named", []string{"--admin-token-file", good}, 2, "give --user"},
		{"two kinds", []string{"--admin-token-file", good, "--user", "ann", "--borrow", "b1"}, 2, "give --user"},
		{"hold without a user", []string{"--admin-token-file", good, "--checkout", "c1", "--hold", "1m"}, 2, "--hold goes with"},
		{"no token", []string{"--user", "ann"}, 1, "licd token"},
		{"wrong token", []string{"--admin-token-file", tokenFile(t, "nope"), "--user", "ann"}, 1, "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runApp(t, append([]string{"remove", "--server", addr}, tt.args...)...)
			if code != tt.code || out != "" || !strings.Contains(errOut, tt.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and one line with %q", code, out, errOut, tt.code, tt.want)
			}
		})
	}
}

// --once prints a QUEUE section, after CHECKOUTS, only when requests wait.
func TestOnceQueueSection(t *testing.T) {
	st := cannedStatus()
	var plain strings.Builder
	if err := views.WriteTables(&plain, st, cannedNow, time.UTC); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "QUEUE") {
		t.Errorf("a QUEUE section with nothing waiting:\n%s", plain.String())
	}
	st.Queue = []wire.QueueInfo{
		{Feature: "cad_pro", Position: 1, Of: 2, Count: 1, User: "erin", Host: "ws5", Session: "00000000000000e1", Since: cannedNow.Add(-3 * time.Minute)},
		{Feature: "cad_pro", Position: 2, Of: 2, Count: 2, User: "fred", Host: "ws6", Session: "00000000000000f1", Since: cannedNow.Add(-time.Minute)},
	}
	var out strings.Builder
	if err := views.WriteTables(&out, st, cannedNow, time.UTC); err != nil {
		t.Fatal(err)
	}
	want := "QUEUE (2 requests waiting)\n" +
		"  FEATURE     POSITION  USER  HOST  WAITING\n" +
		"  cad_pro          1/2  erin  ws5     3m00s\n" +
		"  cad_pro ×2       2/2  fred  ws6     1m00s\n\nBORROWS"
	if !strings.Contains(out.String(), want) {
		t.Errorf("--once:\n%s\nwant a section:\n%s", out.String(), want)
	}
}
