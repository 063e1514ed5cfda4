// Package clientstatetest tampers with a client's state file the way a user
// could, for the tests of the client library and of licborrow.
package clientstatetest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Edit edits the payload of the first token in the state file's list
// (graces or borrows) in dir, keeping the old signature.
func Edit(t testing.TB, dir, list string, edit func(payload map[string]any)) {
	t.Helper()
	rewrite(t, dir, list, edit, func(_ []byte, _ map[string]any, sig string) string { return sig })
}

// rewrite edits the payload of the first token in the state file's
// list (graces or borrows) in dir, and stores it with the signature sign
// gives for the new payload; sign may change the record too. A borrow
// record's expires is made to agree with the payload's, as a careful cheat
// would.
func rewrite(t testing.TB, dir, list string, edit func(payload map[string]any),
	sign func(payload []byte, rec map[string]any, oldSig string) string) {
	t.Helper()
	path := filepath.Join(dir, "state.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	rec := st[list].([]any)[0].(map[string]any)
	payload, sig, _ := strings.Cut(rec["token"].(string), ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	edit(p)
	raw, _ = json.Marshal(p)
	rec["token"] = base64.RawURLEncoding.EncodeToString(raw) + "." + sign(raw, rec, sig)
	if exp, ok := p["expires"]; ok && list == "borrows" {
		rec["expires"] = exp
	}
	data, _ = json.Marshal(st)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Forge is the attack of issue 17 against the state file: the user makes
// a key pair, edits the first token of list, signs it again with the new
// key (or with key, when set: a stolen server key) and puts the new public
// key where the server's used to be.
func Forge(t testing.TB, dir, list string, key ed25519.PrivateKey, edit func(payload map[string]any)) {
	t.Helper()
	rewrite(t, dir, list, edit, func(raw []byte, rec map[string]any, _ string) string {
		pub, own, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		if key == nil {
			key = own
		}
		rec["server_key"] = base64.StdEncoding.EncodeToString(pub)
		return base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, raw))
	})
}
