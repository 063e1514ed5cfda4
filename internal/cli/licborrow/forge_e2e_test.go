package licborrow_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/cli/licborrow"
	"github.com/floatlic/floatlic/internal/clientstate/clientstatetest"
	"github.com/floatlic/floatlic/internal/servertest"
)

// vendorEnv is LIC_VENDOR_PUB=<the base64 vendor key of srv's license>, as
// the demo banner tells a user to export it.
func vendorEnv(t *testing.T, srv *servertest.Server) []string {
	t.Helper()
	data, err := os.ReadFile(srv.Files.VendorPub)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(data))
	return []string{licborrow.EnvVendorPub + "=" + lines[len(lines)-1]}
}

// TestE2EForgedBorrowRefused: a borrow re-signed by the user for a year
// does not run offline; the genuine one did.
func TestE2EForgedBorrowRefused(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	state, ve := t.TempDir(), vendorEnv(t, srv)
	if out, stderr, code := runEnv(t, state, ve, "borrow", "solver", "--hours", "2", "--server", srv.Addr); code != 0 {
		t.Fatalf("borrow: exit %d\n%s%s", code, out, stderr)
	}
	srv.Stop()
	if out, stderr, code := runEnv(t, state, ve, "checkout", "solver", "--hold", "10ms"); code != 0 || !strings.Contains(out, "borrow") {
		t.Fatalf("checkout from the genuine borrow, offline: exit %d\n%s%s", code, out, stderr)
	}
	clientstatetest.Forge(t, state, "borrows", nil, func(p map[string]any) {
		p["expires"] = time.Now().Add(365 * 24 * time.Hour).UTC().Format(time.RFC3339)
	})
	out, stderr, code := runEnv(t, state, ve, "checkout", "solver", "--hold", "10ms")
	if code != 1 || !strings.HasPrefix(stderr, "licborrow: token_invalid: ") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("checkout from the forged borrow: exit %d, stdout %q, stderr %q; want 1 and token_invalid", code, out, stderr)
	}
	if out, _, _ := runEnv(t, state, ve, "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("list --json shows the forged borrow: %s", out)
	}
}

// TestE2EForgedGraceRefused: a grace token re-signed by the user for 168
// hours is not activated.
func TestE2EForgedGraceRefused(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	state, ve := t.TempDir(), vendorEnv(t, srv)
	if out, stderr, code := runEnv(t, state, ve, "checkout", "cad_pro", "--server", srv.Addr, "--hold", "10ms", "--allow-grace"); code != 0 {
		t.Fatalf("checkout: exit %d\n%s%s", code, out, stderr)
	}
	clientstatetest.Forge(t, state, "graces", nil, func(p map[string]any) { p["grace_hours"] = 168 })
	srv.Stop()
	out, stderr, code := runEnv(t, state, ve, "checkout", "cad_pro", "--server", srv.Addr, "--hold", "10ms", "--allow-grace")
	if code != 1 || !strings.HasPrefix(stderr, "licborrow: token_invalid: ") {
		t.Fatalf("grace from the forged token: exit %d, stdout %q, stderr %q; want 1 and token_invalid", code, out, stderr)
	}
}

// TestE2ENoVendorKey: without the vendor key licborrow borrows nothing and
// says how to give it.
func TestE2ENoVendorKey(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	out, stderr, code := run(t, t.TempDir(), "borrow", "solver", "--hours", "2", "--server", srv.Addr)
	if code != 1 || !strings.HasPrefix(stderr, "licborrow: token_invalid: ") || !strings.Contains(stderr, "--vendor-pub FILE or LIC_VENDOR_PUB") {
		t.Fatalf("borrow without a vendor key: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	_, stderr, code = run(t, t.TempDir(), "borrow", "solver", "--hours", "2", "--server", srv.Addr, "--vendor-pub", srv.Files.VendorKey)
	if code != 2 || !strings.Contains(stderr, "--vendor-pub") {
		t.Errorf("--vendor-pub naming the private key: exit %d, stderr %q; want 2", code, stderr)
	}
}
