package licgen

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinary builds the real licgen and runs a vendor's round: keygen, sign,
// verify, then verify a tampered copy.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "licgen")
	build := exec.Command(goTool, "build", "-o", bin, "github.com/floatlic/floatlic/cmd/licgen")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tmpl, err := filepath.Abs(demoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	licgen := func(wantCode int, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != wantCode {
			t.Fatalf("licgen %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, out)
		}
		return string(out)
	}

	licgen(0, "keygen", "--out", "vendor")
	licgen(0, "sign", "--key", "vendor.key", "--out", "demo.lic", tmpl)
	if out := licgen(0, "verify", "--pub", "vendor.pub", "demo.lic"); !strings.Contains(out, "demo.lic: valid, 4 features") {
		t.Errorf("verify printed:\n%s", out)
	}
	lic, err := os.ReadFile(filepath.Join(dir, "demo.lic"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(lic), "EXPIRE  = 2030-12-31", "EXPIRE  = 2035-12-31", 1)
	if err := os.WriteFile(filepath.Join(dir, "demo.lic"), []byte(tampered), 0o644); err != nil {
		t.Fatal(err)
	}
	out := licgen(1, "verify", "--pub", "vendor.pub", "demo.lic")
	if !strings.Contains(out, "demo.lic:13: feature cad_pro: KEY: signature does not verify") {
		t.Errorf("tampered verify printed:\n%s", out)
	}
	licgen(2, "verify", "--pub", "vendor.pub", "missing.lic")
	if out := licgen(0, "--version"); !strings.HasPrefix(out, "licgen version ") {
		t.Errorf("--version printed %q", out)
	}
}
