package licfile

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

// twoFeatures is a template of two features, for telling a wrong key
// (neither verifies) from an edit (one does not).
const twoFeatures = demoTemplate + `FEATURE solver {
  VENDOR  = acme
  VERSION = 3.1
  COUNT   = 2
  EXPIRE  = permanent
}
`

// TestVerifyWrongKey: a file none of whose features verifies is one error,
// which names the key as the likely fault; one feature that fails is still
// reported by its line.
func TestVerifyWrongKey(t *testing.T) {
	_, priv, _ := GenerateKey()
	other, _, _ := GenerateKey()
	lic, err := Sign("site.lic", []byte(twoFeatures), priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		text     string
		wrongKey bool
		want     string
	}{
		{"another key", string(lic), true,
			"site.lic: every feature's signature fails; is it the vendor key that signed it?"},
		{"one feature edited", strings.Replace(string(lic), "COUNT   = 2", "COUNT   = 3", 1), false,
			"site.lic:18: feature solver: KEY: signature does not verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("site.lic", []byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			key := other
			if !tc.wrongKey {
				key = priv.Public().(ed25519.PublicKey)
			}
			err = f.Verify(key)
			if !errors.Is(err, ErrSignature) || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Verify = %v, want one line starting %q, wrapping ErrSignature", err, tc.want)
			}
			file, ok := WrongKeyFile(err)
			if ok != tc.wrongKey || (ok && file != "site.lic") {
				t.Errorf("WrongKeyFile = %q, %v; want %v", file, ok, tc.wrongKey)
			}
		})
	}
	if got, want := WrongKeyMessage("vendor.pub", "site.lic"),
		"vendor.pub does not verify site.lic: every feature's signature fails; is it the vendor key that signed it?"; got != want {
		t.Errorf("WrongKeyMessage = %q, want %q", got, want)
	}
}
