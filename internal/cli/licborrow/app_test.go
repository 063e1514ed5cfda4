package licborrow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/cli/licborrow"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/licenses"
)

// runApp runs licborrow in-process with args and returns stdout, stderr
// and the exit code.
func runApp(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	app := licborrow.App()
	app.Writer = &stdout
	code := exit.Run(ctx, app, append([]string{"licborrow"}, args...), &stderr)
	return stdout.String(), stderr.String(), code
}

func TestUsageErrors(t *testing.T) {
	t.Setenv(licenses.EnvServer, "")
	t.Setenv(licenses.EnvStateDir, t.TempDir())
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no feature", []string{"checkout"}, "usage: licborrow checkout FEATURE"},
		{"two features", []string{"checkout", "a", "b", "--server", "x:1"}, "usage:"},
		{"unknown flag after the feature", []string{"checkout", "a", "--nope"}, "flag provided but not defined: --nope"},
		{"unknown flag", []string{"checkout", "--nope", "a"}, "flag provided but not defined"},
		{"flag without value", []string{"checkout", "a", "--hold"}, "flag needs an argument"},
		{"bad duration", []string{"checkout", "a", "--hold", "soon"}, "invalid value"},
		{"no server", []string{"checkout", "cad_pro"}, "no license server given"},
		{"bad attempts", []string{"checkout", "cad_pro", "--server", "x:1", "--heartbeat-attempts", "0"}, "heartbeat-attempts"},
		{"borrow without hours", []string{"borrow", "solver", "--server", "x:1"}, "--hours"},
		{"borrow without server", []string{"borrow", "solver", "--hours", "2"}, "no license server given"},
		{"bad server", []string{"borrow", "solver", "--hours", "2", "--server", "nope"}, "want host:port"},
		{"list with an argument", []string{"list", "x"}, "usage:"},
		{"grace with two", []string{"grace", "a", "b"}, "usage:"},
		{"unknown command", []string{"lend"}, `unknown command "lend"`},
		{"version not major.minor", []string{"checkout", "cad_pro", "--version", "2", "--server", "x:1"},
			`invalid value "2" for flag --version: want major.minor, as 2.0 (run 'licborrow checkout --help' for usage)`},
		{"version before the feature", []string{"borrow", "--version", "two", "solver", "--hours", "2", "--server", "x:1"}, `invalid value "two" for flag --version`},
		{"bad flag says where the usage is", []string{"return", "--nope"}, "(run 'licborrow return --help' for usage)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runApp(t, tt.args...)
			if code != exit.Setup {
				t.Errorf("exit %d, want %d; stderr %q", code, exit.Setup, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) || !strings.HasPrefix(stderr, "licborrow: ") && tt.stderr != "" {
				t.Errorf("stderr %q, want it to say %q", stderr, tt.stderr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("stderr is more than one line: %q", stderr)
			}
		})
	}
}

func TestHelpAfterFeature(t *testing.T) {
	stdout, _, code := runApp(t, "checkout", "cad_pro", "--help")
	if code != 0 || !strings.Contains(stdout, "--heartbeat-attempts") {
		t.Errorf("exit %d, help %q", code, stdout)
	}
}

// TestInProcess runs every command against a server in-process, with
// flags after the feature as the README writes them.
func TestInProcess(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	t.Setenv(licenses.EnvServer, "")
	t.Setenv(licborrow.EnvVendorPub, strings.TrimPrefix(vendorEnv(t, srv)[0], licborrow.EnvVendorPub+"="))
	state := t.TempDir()

	out, stderr, code := runApp(t, "checkout", "cad_pro", "--server", srv.Addr, "--hold", "10ms",
		"--allow-grace", "--heartbeat-interval", "1s", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "checked out cad_pro 2.0 from "+srv.Addr) || !strings.Contains(out, "checked in cad_pro") {
		t.Fatalf("checkout: exit %d\n%s%s", code, out, stderr)
	}

	out, stderr, code = runApp(t, "grace", "--json", "--state-dir", state)
	var graces []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &graces) != nil || len(graces) != 1 || graces[0]["state"] != "inactive" {
		t.Fatalf("grace --json: exit %d %s%s", code, out, stderr)
	}

	out, stderr, code = runApp(t, "borrow", "solver", "--hours", "3", "--server", srv.Addr, "--state-dir", state, "--json")
	var b map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &b) != nil || b["feature"] != "solver" || b["version"] != "3.1" {
		t.Fatalf("borrow --json: exit %d %s%s", code, out, stderr)
	}
	if _, err := time.Parse(time.RFC3339, b["expires"].(string)); err != nil {
		t.Errorf("borrow expires %v: %v", b["expires"], err)
	}

	out, _, code = runApp(t, "list", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "FEATURE") || !strings.Contains(out, "solver") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	out, _, code = runApp(t, "return", "solver", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "returned solver") {
		t.Errorf("return: exit %d\n%s", code, out)
	}
	out, _, code = runApp(t, "list", "--json", "--state-dir", state)
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("list --json after return: exit %d %q", code, out)
	}
	_, stderr, code = runApp(t, "return", "solver", "--state-dir", state)
	if code != exit.Refused || !strings.HasPrefix(stderr, "licborrow: unknown_borrow: ") {
		t.Errorf("second return: exit %d %q", code, stderr)
	}
	out, _, code = runApp(t, "grace", "solver", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "solver") || !strings.Contains(out, "none") {
		t.Errorf("grace solver: exit %d\n%s", code, out)
	}
}

// TestBuiltinVendorKey: a vendor key compiled into licborrow is used with
// no flag, and another key given by the user is refused, not trusted.
func TestBuiltinVendorKey(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	t.Setenv(licenses.EnvServer, "")
	t.Setenv(licborrow.EnvVendorPub, "")
	licborrow.VendorPub = strings.TrimPrefix(vendorEnv(t, srv)[0], licborrow.EnvVendorPub+"=")
	t.Cleanup(func() { licborrow.VendorPub = "" })
	state := t.TempDir()
	out, stderr, code := runApp(t, "borrow", "solver", "--hours", "1", "--server", srv.Addr, "--state-dir", state)
	if code != 0 {
		t.Fatalf("borrow with the built-in key: exit %d\n%s%s", code, out, stderr)
	}
	other := servertest.Start(t, servertest.Options{})
	_, stderr, code = runApp(t, "list", "--state-dir", state, "--vendor-pub", other.Files.VendorPub)
	if code != exit.Setup || !strings.Contains(stderr, "is not the vendor key built into this licborrow") {
		t.Errorf("list with another vendor key: exit %d, stderr %q", code, stderr)
	}
	t.Setenv(licborrow.EnvVendorPub, strings.TrimPrefix(vendorEnv(t, other)[0], licborrow.EnvVendorPub+"="))
	if _, stderr, code = runApp(t, "list", "--state-dir", state); code != exit.Setup || !strings.Contains(stderr, "LIC_VENDOR_PUB is not") {
		t.Errorf("list with another LIC_VENDOR_PUB: exit %d, stderr %q", code, stderr)
	}
}
