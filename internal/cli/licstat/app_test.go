package licstat

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/version"
	"github.com/floatlic/floatlic/internal/wire"
)

func TestMain(m *testing.M) {
	onceLoc = time.UTC // clock times in --once output do not depend on the machine
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir) // built by the end-to-end tests
	}
	os.Exit(code)
}

// runApp runs licstat with args and returns its exit code, stdout and stderr.
func runApp(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := App()
	app.Writer = &stdout
	code := exit.Run(context.Background(), app, append([]string{"licstat"}, args...), &stderr)
	return code, stdout.String(), stderr.String()
}

var cannedNow = time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)

// cannedStatus is a status with one of everything; times carry a zone that
// is not UTC, which --json must keep.
func cannedStatus() *wire.Status {
	cet := time.FixedZone("CET", 3600)
	now := cannedNow.In(cet)
	return &wire.Status{
		Server: wire.ServerInfo{Instance: "5e1f00d4c0ffee00", Role: "single", Serving: true, Addr: "127.0.0.1:6200",
			Started: now.Add(-50 * time.Hour), Version: "0.1.0", Now: now},
		Features: []wire.FeatureStatus{
			{Name: "cad_pro", Version: "2.0", Count: 5, InUse: 2, Borrowed: 1, Grace: 1, Expires: "2027-12-31", GraceHours: 48, BorrowHours: 72},
			{Name: "solver", Version: "3.1", Count: 2, InUse: 0, Expires: "permanent"},
		},
		Checkouts: []wire.CheckoutInfo{
			{ID: "c1", Feature: "cad_pro", Version: "2.0", Count: 1, User: "ann", Host: "ws1", PID: 4242, Session: "0123456789abcdef",
				Since: now.Add(-2 * time.Hour), LastHeartbeat: now.Add(-30 * time.Second), LeaseUntil: now.Add(75 * time.Second)},
			{ID: "c2", Feature: "cad_pro", Version: "2.0", Count: 1, User: "bob", Host: "ws2", PID: 777, Session: "fedcba9876543210",
				Since: now.Add(-5 * time.Minute), LastHeartbeat: now.Add(-5 * time.Second), LeaseUntil: now.Add(100 * time.Second)},
		},
		Borrows: []wire.BorrowInfo{{ID: "b1", Feature: "cad_pro", User: "carol", Host: "laptop", Since: now.Add(-time.Hour), Expires: now.Add(71 * time.Hour)}},
		Graces:  []wire.GraceInfo{{TokenID: "g1", Feature: "cad_pro", User: "dave", Host: "ws4", Activated: now.Add(-time.Hour), Expires: now.Add(47 * time.Hour)}},
		Servers: []wire.ServerNode{{ID: 1, Addr: "127.0.0.1:6200", Role: "single", Up: true, Serving: true}},
	}
}

// cannedServer serves cannedStatus on /v1/status.
func cannedServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wire.PathStatus {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(cannedStatus())
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	return addr
}

func TestJSON(t *testing.T) {
	code, out, errOut := runApp(t, "--server", cannedServer(t), "--json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden.RequireEqual(t, []byte(out))

	var st wire.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("output is not a wire.Status: %v", err)
	}
	if !st.Checkouts[0].Since.Equal(cannedStatus().Checkouts[0].Since) {
		t.Errorf("since = %v", st.Checkouts[0].Since)
	}
	for _, want := range []string{`"since": "2026-03-04T08:30:00+01:00"`, `"expires": "2026-03-07T09:30:00+01:00"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

func TestOnce(t *testing.T) {
	code, out, errOut := runApp(t, "--server", cannedServer(t), "--once")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden.RequireEqual(t, []byte(strings.Replace(out, cannedAddrOf(out), "ADDR", 1)))
}

// cannedAddrOf returns the address on the first line of --once output, which
// changes from run to run.
func cannedAddrOf(out string) string {
	first, _, _ := strings.Cut(out, "\n")
	addr, _, _ := strings.Cut(strings.TrimPrefix(first, "License server "), ": ")
	return addr
}

func TestNotATerminal(t *testing.T) {
	// Without --json or --once, output that is not a terminal gets --once.
	code, out, _ := runApp(t, "--server", cannedServer(t))
	if code != 0 || !strings.Contains(out, "CHECKOUTS (2 checkouts") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestServerFromEnv(t *testing.T) {
	t.Setenv("LIC_SERVER", cannedServer(t))
	if code, out, errOut := runApp(t, "--json"); code != 0 || !strings.Contains(out, `"instance": "5e1f00d4c0ffee00"`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	// A list is tried in order.
	t.Setenv("LIC_SERVER", closedAddr(t)+","+cannedServer(t))
	if code, _, errOut := runApp(t, "--json"); code != 0 {
		t.Errorf("with a dead first server: exit %d, stderr %q", code, errOut)
	}
}

func TestUnreachable(t *testing.T) {
	addr := closedAddr(t)
	msg := "cannot reach license server " + addr + ": connection refused"
	for _, tc := range []struct{ mode, stdout, stderr string }{
		{"--json", `{"error":{"code":"refused","message":"` + msg + `"}}` + "\n", ""}, // with --json the error is JSON too
		{"--once", "", "licstat: " + msg + "\n"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			code, out, errOut := runApp(t, "--server", addr, tc.mode)
			if code != 1 || errOut != tc.stderr || out != tc.stdout {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1, %q and %q", code, out, errOut, tc.stdout, tc.stderr)
			}
		})
	}
	t.Run("several", func(t *testing.T) {
		other := closedAddr(t)
		_, _, errOut := runApp(t, "--server", addr+","+other, "--once")
		want := "licstat: cannot reach any license server (" + addr + ": connection refused; " + other + ": connection refused)\n"
		if errOut != want {
			t.Errorf("stderr %q, want %q", errOut, want)
		}
	})
}

func TestRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(wire.ErrorReply{Error: wire.Errorf(wire.CodeNoQuorum, "1 of 3 nodes up")})
	}))
	defer srv.Close()
	code, _, errOut := runApp(t, "--server", srv.URL, "--once")
	want := "licstat: license server " + srv.URL + " refused the status request: no_quorum: 1 of 3 nodes up\n"
	if code != 1 || errOut != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, errOut, want)
	}
	code, out, _ := runApp(t, "--server", srv.URL, "--json")
	if code != 1 || !strings.HasPrefix(out, `{"error":{"code":"no_quorum","message":"license server `) {
		t.Errorf("--json: exit %d, stdout %q; want 1 and a JSON error no_quorum", code, out)
	}
}

func TestUsage(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "token")
	os.WriteFile(empty, []byte("\n"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"argument", []string{"cad_pro"}, "licstat: unexpected argument \"cad_pro\" (run 'licstat --help' for usage)\n"},
		{"unknown flag", []string{"--bogus"}, "licstat: flag provided but not defined: -bogus (run 'licstat --help' for usage)\n"},
		{"empty server", []string{"--server", " ", "--once"}, "licstat: --server is empty (run 'licstat --help' for usage)\n"},
		{"missing token file", []string{"--admin-token-file", filepath.Join(t.TempDir(), "nope")}, "licstat: read admin token: open "},
		{"empty token file", []string{"--admin-token-file", empty}, "licstat: admin token file " + empty + " is empty\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runApp(t, tt.args...)
			if code != 2 || !strings.HasPrefix(errOut, tt.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errOut, tt.want)
			}
		})
	} // With --json the usage error is JSON, on stdout.
	code, out, errOut := runApp(t, "--json", "--once")
	want := `{"error":{"code":"usage","message":"--json and --once cannot be used together (run 'licstat --help' for usage)"}}` + "\n"
	if code != 2 || out != want || errOut != "" {
		t.Errorf("--json --once: exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, want)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runApp(t, "--version")
	if code != 0 || !strings.Contains(out, version.Version) {
		t.Errorf("exit %d, output %q", code, out)
	}
}
