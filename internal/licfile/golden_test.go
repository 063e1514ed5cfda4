package licfile

import (
	"bytes"
	"crypto/ed25519"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the signed fixtures (and make missing test keys)")

// golden pairs a template with its signed copy and the test key that signs it.
type golden struct{ tmpl, lic, keyPrefix string }

func goldens(t *testing.T) []golden {
	t.Helper()
	var gs []golden
	tmpls, _ := filepath.Glob("testdata/templates/*.tmpl")
	for _, tm := range tmpls {
		lic := filepath.Join("testdata/signed", strings.TrimSuffix(filepath.Base(tm), ".tmpl")+".lic")
		gs = append(gs, golden{tm, lic, "testdata/keys/test"})
	}
	top, _ := filepath.Glob("../../testdata/licenses/*.tmpl")
	for _, tm := range top {
		gs = append(gs, golden{tm, strings.TrimSuffix(tm, ".tmpl") + ".lic", "../../testdata/keys/test"})
	}
	if len(tmpls) == 0 || len(top) == 0 {
		t.Fatal("no templates found in testdata")
	}
	return gs
}

// testKey reads the test key pair at prefix, making it first under -update.
func testKey(t *testing.T, prefix string) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	if _, err := os.Stat(prefix + ".key"); *update && os.IsNotExist(err) {
		if err := WriteKeyPair(prefix, false); err != nil {
			t.Fatal(err)
		}
	}
	priv, err := ReadPrivateKey(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ReadPublicKey(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// TestGolden signs every template and compares with its signed copy (Ed25519
// signatures are deterministic), then loads the copy with the public key.
// Run with -update after changing a template.
func TestGolden(t *testing.T) {
	for _, g := range goldens(t) {
		t.Run(filepath.Base(g.tmpl), func(t *testing.T) {
			pub, priv := testKey(t, g.keyPrefix)
			tmpl, err := os.ReadFile(g.tmpl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Sign(g.tmpl, tmpl, priv)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if *update {
				if err := os.WriteFile(g.lic, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(g.lic)
			if err != nil {
				t.Fatalf("%v (run with -update to make it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Sign(%s) differs from %s (run with -update if the change is meant):\n%s", g.tmpl, g.lic, got)
			}
			if _, err := Load(g.lic, pub); err != nil {
				t.Errorf("Load(%s): %v", g.lic, err)
			}
		})
	}
}
