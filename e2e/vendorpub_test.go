package e2e

import (
	"testing"

	"github.com/floatlic/floatlic/internal/demo"
)

// licd given another vendor's public key refuses to start with one line
// that names the key, not one line per feature.
func TestWrongVendorPubIsOneLine(t *testing.T) {
	dir := t.TempDir()
	args := serveArgs(t, dir)
	other, err := demo.Setup(t.TempDir(), nil) // another vendor's key
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a == "--vendor-pub" {
			args[i+1] = other.VendorPub
		}
	}
	_, stderr, code := run(t, "licd", append(args, "--listen", "127.0.0.1:0")...)
	if code != 2 {
		t.Fatalf("licd with another vendor key: exit %d, want 2; stderr %q", code, stderr)
	}
	oneLine(t, stderr, other.VendorPub+" does not verify ", "every feature's signature fails; is it the vendor key that signed it?")
}
