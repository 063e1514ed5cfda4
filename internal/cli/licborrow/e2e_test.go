package licborrow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/buildcmd"
	"github.com/floatlic/floatlic/internal/cli/licborrow"
	"github.com/floatlic/floatlic/internal/proctest"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/licenses"
)

// bin is the licborrow binary, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "licborrow-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "licborrow")
	if err := buildcmd.Commands(dir, "licborrow"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return m.Run()
}

// env is the environment of a licborrow process: this one's, without the
// floatlic variables, plus state dir and extra.
func env(state string, extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, licenses.EnvServer+"=") && !strings.HasPrefix(kv, licenses.EnvStateDir+"=") &&
			!strings.HasPrefix(kv, licborrow.EnvVendorPub+"=") {
			out = append(out, kv)
		}
	}
	return append(append(out, licenses.EnvStateDir+"="+state), extra...)
}

// run runs the binary to its end and returns stdout, stderr and the exit code.
func run(t *testing.T, state string, args ...string) (string, string, int) {
	t.Helper()
	return runEnv(t, state, nil, args...)
}

// runEnv is run with extra environment variables.
func runEnv(t *testing.T, state string, extra []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env(state, extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run licborrow: %v", err)
	}
	return stdout.String(), stderr.String(), code
}

// started is a licborrow process still running.
type started struct{ *proctest.Proc }

// start runs the binary in the background.
func start(t *testing.T, state string, args ...string) started {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env(state)
	return started{proctest.Start(t, cmd)}
}

// waitLine waits for a stdout line containing s.
func (p started) waitLine(t *testing.T, s string) {
	t.Helper()
	p.WaitLine(t, 15*time.Second, strconv.Quote(s), func(line string) bool { return strings.Contains(line, s) })
}

// wait waits for the process to end and returns its exit code.
func (p started) wait(t *testing.T) int {
	t.Helper()
	return p.Exit(t, 15*time.Second)
}

func inUse(t *testing.T, addr, feature string) int {
	t.Helper()
	st, err := licenses.FetchStatus(context.Background(), addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range st.Features {
		if f.Name == feature {
			return f.InUse
		}
	}
	t.Fatalf("no feature %s", feature)
	return 0
}

func graceJSON(t *testing.T, state string, args ...string) []map[string]any {
	t.Helper()
	out, stderr, code := run(t, state, append([]string{"grace", "--json"}, args...)...)
	var gs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &gs) != nil {
		t.Fatalf("grace --json: exit %d\n%s%s", code, out, stderr)
	}
	return gs
}

// TestE2ECheckoutHoldAndGrace holds a license with --allow-grace (which
// stores a grace token), then falls back on grace with the server down.
func TestE2ECheckoutHoldAndGrace(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	state := t.TempDir()
	vp := srv.Files.VendorPub
	p := start(t, state, "checkout", "cad_pro", "--server", srv.Addr, "--hold", "500ms", "--allow-grace", "--vendor-pub", vp)
	p.waitLine(t, "checked out cad_pro 2.0 from "+srv.Addr)
	if n := inUse(t, srv.Addr, "cad_pro"); n != 1 {
		t.Errorf("in use while held = %d, want 1", n)
	}
	p.waitLine(t, "checked in cad_pro")
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d; stderr %s", code, p.Stderr())
	}
	if n := inUse(t, srv.Addr, "cad_pro"); n != 0 {
		t.Errorf("in use after the hold = %d, want 0", n)
	}
	gs := graceJSON(t, state, "--vendor-pub", vp)
	if len(gs) != 1 || gs[0]["feature"] != "cad_pro" || gs[0]["state"] != "inactive" || gs[0]["expires"] != nil || gs[0]["cooldown_until"] != nil {
		t.Fatalf("grace --json = %v", gs)
	}

	srv.Stop()
	out, stderr, code := run(t, state, "checkout", "cad_pro", "--server", srv.Addr, "--hold", "10ms")
	if code != 1 || !strings.HasPrefix(stderr, "licborrow: no_server: ") {
		t.Errorf("checkout without --allow-grace: exit %d %q", code, stderr)
	}
	out, stderr, code = run(t, state, "checkout", "cad_pro", "--server", srv.Addr, "--hold", "10ms", "--allow-grace", "--json", "--vendor-pub", vp)
	var lic map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &lic) != nil || lic["source"] != "grace" {
		t.Fatalf("grace checkout: exit %d\n%s%s", code, out, stderr)
	}
	gs = graceJSON(t, state, "cad_pro", "--vendor-pub", vp)
	if len(gs) != 1 || gs[0]["state"] != "active" {
		t.Fatalf("grace --json cad_pro = %v", gs)
	}
	exp, err := time.Parse(time.RFC3339, gs[0]["expires"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 47*time.Hour || d > 48*time.Hour {
		t.Errorf("grace expires in %v, want 48h", d)
	}
	if lic["expires"] != gs[0]["expires"] {
		t.Errorf("checkout says expires %v, grace says %v", lic["expires"], gs[0]["expires"])
	}
}

func TestE2EBorrowListReturn(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	state := t.TempDir()
	vp := srv.Files.VendorPub
	out, stderr, code := run(t, state, "borrow", "solver", "--hours", "2", "--server", srv.Addr, "--vendor-pub", vp)
	if code != 0 || !strings.Contains(out, "borrowed solver 3.1") {
		t.Fatalf("borrow: exit %d\n%s%s", code, out, stderr)
	}
	out, _, code = run(t, state, "list", "--json", "--vendor-pub", vp)
	var list []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 {
		t.Fatalf("list --json: exit %d %s", code, out)
	}
	for _, k := range []string{"feature", "version", "user", "host", "expires", "borrow_id"} {
		if list[0][k] == nil || list[0][k] == "" {
			t.Errorf("list --json has no %s: %v", k, list[0])
		}
	}
	if _, err := time.Parse(time.RFC3339, list[0]["expires"].(string)); err != nil {
		t.Error(err)
	}

	srv.Stop() // the borrow needs no server
	out, stderr, code = run(t, state, "checkout", "solver", "--hold", "10ms", "--json", "--vendor-pub", vp)
	var lic map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &lic) != nil || lic["source"] != "borrow" || lic["checkout_id"] != list[0]["borrow_id"] {
		t.Fatalf("checkout from the borrow: exit %d\n%s%s", code, out, stderr)
	}
	_, stderr, code = run(t, state, "return", "solver")
	if code != 1 || !strings.Contains(stderr, "no_server") {
		t.Errorf("return with the server down: exit %d %q", code, stderr)
	}
	srv.Start()
	out, stderr, code = run(t, state, "return", "solver") // to the server it came from
	if code != 0 || !strings.Contains(out, "returned solver") {
		t.Fatalf("return: exit %d\n%s%s", code, out, stderr)
	}
	out, _, _ = run(t, state, "list", "--json")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("list --json after the return = %s", out)
	}
}

func TestE2ERefused(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	state := t.TempDir()
	holder, err := licenses.New(licenses.Options{Servers: []string{srv.Addr}, StateDir: t.TempDir(), User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	for range 2 {
		if _, err := holder.Checkout(context.Background(), "solver", ""); err != nil {
			t.Fatal(err)
		}
	}
	out, stderr, code := run(t, state, "checkout", "solver", "--server", srv.Addr)
	if code != 1 || !strings.HasPrefix(stderr, "licborrow: count_exhausted: ") || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and count_exhausted", code, out, stderr)
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr is not one line: %q", stderr)
	}
}

// TestE2ESignals holds until interrupted: SIGINT and SIGTERM check in.
func TestE2ESignals(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			p := start(t, t.TempDir(), "checkout", "cad_view", "--server", srv.Addr)
			p.waitLine(t, "holding until interrupted")
			if n := inUse(t, srv.Addr, "cad_view"); n != 1 {
				t.Errorf("in use = %d, want 1", n)
			}
			if err := p.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t); code != 0 {
				t.Fatalf("exit %d after %v; stderr %s", code, sig, p.Stderr())
			}
			if n := inUse(t, srv.Addr, "cad_view"); n != 0 {
				t.Errorf("in use after %v = %d, want 0", sig, n)
			}
		})
	}
}

// TestE2EHeartbeatsGiveUp stops the server under a held license: after the
// attempts, licborrow says why and exits 1.
func TestE2EHeartbeatsGiveUp(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{HeartbeatInterval: 50 * time.Millisecond, Lease: time.Second})
	p := start(t, t.TempDir(), "checkout", "cad_pro", "--server", srv.Addr, "--heartbeat-attempts", "2")
	p.waitLine(t, "heartbeat every 50ms, giving up after 2 failures")
	srv.Stop()
	if code := p.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, p.Stderr())
	}
	if s := p.Stderr(); !strings.HasPrefix(s, "licborrow: heartbeats_failed: 2 heartbeats in a row") {
		t.Errorf("stderr %q", s)
	}
}
