package licbench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/servertest"
)

// run runs licbench with args and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := App()
	app.Writer = &out
	code := exit.Run(context.Background(), app, append([]string{"licbench"}, args...), &errOut)
	return code, out.String(), errOut.String()
}

func TestJSONOutput(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Template: servertest.BigTemplate, HeartbeatInterval: time.Second, Lease: time.Minute})
	tests := []struct {
		name string
		args []string
	}{
		{"run churn", []string{"run", "--server", s.Addr, "--clients", "2", "--duration", "200ms", "--json"}},
		{"run heartbeat", []string{"run", "--server", s.Addr, "--mode", "heartbeat", "--clients", "10", "--interval", "50ms", "--duration", "200ms", "--json"}},
		{"baseline", []string{"baseline", "--clients", "2", "--duration", "200ms", "--json"}},
		{"storage", []string{"storage", "--sync", "normal", "--batch", "4", "--duration", "100ms", "--json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != exit.OK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatalf("not one JSON object: %v\n%s", err, out)
			}
			for _, k := range []string{"ops_per_sec", "p50_ms", "p99_ms", "errors"} {
				if _, ok := m[k]; !ok {
					t.Errorf("no %q in %s", k, out)
				}
			}
			if ops, _ := m["ops_per_sec"].(float64); ops <= 0 {
				t.Errorf("ops_per_sec %v", m["ops_per_sec"])
			}
		})
	}
}

// --cpuprofile writes a profile of licbench's own run.
func TestCPUProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	if code, _, errOut := run(t, "baseline", "--clients", "2", "--duration", "200ms", "--cpuprofile", prof); code != exit.OK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Fatalf("no profile written: %v", err)
	}
}

func TestTextOutput(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Template: servertest.BigTemplate, HeartbeatInterval: time.Second, Lease: time.Minute})
	code, out, errOut := run(t, "run", "--server", s.Addr, "--clients", "2", "--duration", "200ms")
	if code != exit.OK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"churn against " + s.Addr + ", feature bench", "pairs in", "checkout   p50", "errors     none", "server     RSS"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

func TestErrors(t *testing.T) {
	s := servertest.Start(t, servertest.Options{HeartbeatInterval: time.Second, Lease: time.Minute}) // the demo license: cad_pro has COUNT 5
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"count too small", []string{"run", "--server", s.Addr, "--feature", "cad_pro", "--clients", "64", "--duration", "1s"}, exit.Refused, "cad_pro has COUNT 5"},
		{"unknown feature", []string{"run", "--server", s.Addr, "--feature", "nosuch"}, exit.Setup, "not served"},
		{"bad mode", []string{"run", "--server", s.Addr, "--mode", "sideways"}, exit.Setup, "--mode"},
		{"no server flag", []string{"run"}, exit.Setup, "server"},
		{"nobody there", []string{"run", "--server", "127.0.0.1:1", "--timeout", "2s"}, exit.Refused, "127.0.0.1:1"},
		{"bad sync", []string{"storage", "--sync", "sometimes", "--duration", "10ms"}, exit.Setup, "sometimes"},
		{"unknown command", []string{"sideways"}, exit.Setup, "sideways"},
		{"storage dir missing", []string{"storage", "--dir", filepath.Join(t.TempDir(), "none"), "--duration", "10ms"}, exit.Setup, "not a directory"},
		{"profile not writable", []string{"baseline", "--clients", "1", "--duration", "10ms", "--cpuprofile", filepath.Join(t.TempDir(), "none", "cpu.prof")}, exit.Setup, "--cpuprofile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Fatalf("exit %d, stderr %q; want exit %d and one line naming %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

func TestBareServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out, errOut bytes.Buffer
	app := App()
	app.Writer = &out
	code := exit.Run(ctx, app, []string{"licbench", "bare", "--listen", "127.0.0.1:0"}, &errOut)
	if code != exit.OK || !strings.Contains(out.String(), "bare handler listening on http://127.0.0.1:") {
		t.Fatalf("exit %d, out %q, err %q", code, out.String(), errOut.String())
	}
}
