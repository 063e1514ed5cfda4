package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

// TestTokenKeyFlow walks the setup of issue 17 with the binaries: the
// customer's admin prints the server's token key, the vendor signs a
// license naming it, and the server's borrow token then chains to the
// vendor key; a server whose key the license does not name lends nothing.
func TestTokenKeyFlow(t *testing.T) {
	dir := t.TempDir()
	data, other := filepath.Join(dir, "data"), filepath.Join(dir, "other")
	tokenKey := tokenKeyOf(t, data)
	if again := tokenKeyOf(t, data); again != tokenKey {
		t.Fatalf("token-key printed %s, then %s", tokenKey, again)
	}
	if _, stderr, code := run(t, "licgen", "keygen", "--out", filepath.Join(dir, "vendor")); code != 0 {
		t.Fatalf("licgen keygen: %s", stderr)
	}
	tmpl := filepath.Join(dir, "acme.tmpl")
	if err := os.WriteFile(tmpl, []byte("FEATURE solver {\n  VENDOR = acme\n  VERSION = 3.1\n  COUNT = 2\n  BORROW = 24\n"+
		"  EXPIRE = permanent\n  TOKEN_KEY = "+tokenKey+"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lic := filepath.Join(dir, "acme.lic")
	if _, stderr, code := run(t, "licgen", "sign", "--key", filepath.Join(dir, "vendor.key"), "--out", lic, tmpl); code != 0 {
		t.Fatalf("licgen sign: %s", stderr)
	}
	vendor, err := licfile.ReadPublicKey(filepath.Join(dir, "vendor.pub"))
	if err != nil {
		t.Fatal(err)
	}
	serve := func(data string) *proc {
		return startLicd(t, "serve", "--license", lic, "--vendor-pub", filepath.Join(dir, "vendor.pub"),
			"--data", data, "--listen", "127.0.0.1:0")
	}

	p := serve(data)
	var br wire.BorrowReply
	werr, err := call(p.addr, wire.PathBorrow, wire.BorrowRequest{Client: session(), RequestID: "b", Feature: "solver", Hours: 24}, &br)
	if err != nil || werr != nil {
		t.Fatalf("borrow: %v %v", werr, err)
	}
	if _, _, err := token.VerifyChain(vendor, br.Token); err != nil {
		t.Fatalf("the borrow token does not chain to the vendor key: %v", err)
	}

	q := serve(other) // a new data dir: a new token key the license does not name
	werr, err = call(q.addr, wire.PathBorrow, wire.BorrowRequest{Client: session(), RequestID: "b", Feature: "solver", Hours: 1}, &br)
	if err != nil || werr == nil || werr.Code != wire.CodeBorrowNotAllowed || !strings.Contains(werr.Message, "names TOKEN_KEY "+tokenKey) {
		t.Fatalf("borrow from a server with another key: %v %v, want borrow_not_allowed naming the keys", werr, err)
	}
	if !strings.Contains(q.Stderr(), "no grace or borrow tokens for this feature") {
		t.Errorf("licd did not warn at start: %s", q.Stderr())
	}
}

func tokenKeyOf(t *testing.T, data string) string {
	t.Helper()
	out, stderr, code := run(t, "licd", "token-key", "--data", data)
	key := strings.TrimSpace(out)
	if code != 0 || len(key) != 44 {
		t.Fatalf("licd token-key: exit %d, %q %q", code, out, stderr)
	}
	return key
}
