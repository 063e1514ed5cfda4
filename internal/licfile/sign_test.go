package licfile

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const demoTemplate = `# demo
FEATURE cad_pro {
  VENDOR      = acme
  VERSION     = 2.0
  COUNT       = 5
  GRACE       = 48
  BORROW      = 72
  HAL_SERVERS = "lic1:6200 lic2:6200 lic3:6200"
  START       = 2026-01-01
  EXPIRE      = 2027-12-31
}
`

// signed returns demoTemplate signed with a new key, and the key.
func signed(t *testing.T) (string, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	out, err := Sign("demo.lic", []byte(demoTemplate), priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), pub
}

func TestSignVerify(t *testing.T) {
	lic, pub := signed(t)
	f, err := Parse("demo.lic", []byte(lic))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Verify(pub); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if f.Features[0].Key == "" || f.Features[0].FieldLine("KEY") != 11 {
		t.Errorf("KEY = %q on line %d, want a signature on line 11", f.Features[0].Key, f.Features[0].FieldLine("KEY"))
	}
}

// TestTamper changes a signed license: value changes must break the KEY,
// layout and comment changes must not.
func TestTamper(t *testing.T) {
	lic, pub := signed(t)
	tests := []struct {
		name, old, new string
		breaks         bool
	}{
		{"count 5 to 6", "COUNT       = 5", "COUNT       = 6", true},
		{"later expire", "2027-12-31", "2028-12-31", true},
		{"changed HAL server", "lic3:6200", "lic4:6200", true},
		{"HAL servers reordered", "lic1:6200 lic2:6200", "lic2:6200 lic1:6200", true},
		{"higher version", "VERSION     = 2.0", "VERSION     = 2.1", true},
		{"renamed feature", "FEATURE cad_pro", "FEATURE cad_pro2", true},
		{"grace removed", "  GRACE       = 48\n", "", true},
		{"field added", "  START", "  HOSTID = \"h1 h2 h3\"\n  START", true},
		{"comment added", "# demo", "# demo\n# more words", false},
		{"comment at end of line", "COUNT       = 5", "COUNT = 5   # five seats", false},
		{"whitespace and quotes", `VENDOR      = acme`, "\tVENDOR=\"acme\"", false},
		{"list spacing", "lic1:6200 lic2:6200", "  lic1:6200\tlic2:6200  ", false},
		{"fields reordered", "  COUNT       = 5\n  GRACE       = 48\n", "  GRACE = 48\n  COUNT = 5\n", false},
		{"leading zeros", "COUNT       = 5", "COUNT = 005", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(lic, tt.old) {
				t.Fatalf("%q not in the license", tt.old)
			}
			changed := strings.Replace(lic, tt.old, tt.new, 1)
			f, err := Parse("demo.lic", []byte(changed))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = f.Verify(pub)
			if !tt.breaks {
				if err != nil {
					t.Errorf("Verify after a harmless change: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify = %v, want ErrSignature", err)
			}
			keyLine := f.Features[0].FieldLine("KEY")
			want := "demo.lic:" + strconv.Itoa(keyLine) + ": feature " + f.Features[0].Name + ": KEY: signature does not verify"
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error = %q, want prefix %q", err, want)
			}
		})
	}
}

func TestVerifyOtherKey(t *testing.T) {
	lic, _ := signed(t)
	other, _, _ := GenerateKey()
	f, err := Parse("demo.lic", []byte(lic))
	if err != nil {
		t.Fatal(err)
	}
	err = f.Verify(other)
	var list ErrorList
	if !errors.Is(err, ErrSignature) || !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("Verify with another key = %v, want one ErrSignature", err)
	}
	if err := f.Verify(ed25519.PublicKey("short")); err == nil {
		t.Error("Verify with a malformed public key succeeded")
	}
}

func TestVerifyUnsigned(t *testing.T) {
	pub, _, _ := GenerateKey()
	f, err := Parse("demo.tmpl", []byte(demoTemplate))
	if err != nil {
		t.Fatal(err)
	}
	err = f.Verify(pub)
	want := "demo.tmpl:2: feature cad_pro: KEY: missing: the feature is not signed (sign the file with licgen sign)"
	if !errors.Is(err, ErrSignature) || err.Error() != want {
		t.Errorf("Verify = %v, want %q", err, want)
	}
}

func TestSignKeepsLayout(t *testing.T) {
	_, priv, _ := GenerateKey()
	tmpl, err := os.ReadFile("testdata/templates/layout.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Sign("layout.tmpl", tmpl, priv)
	if err != nil {
		t.Fatal(err)
	}
	// Removing the KEY lines gives back the template.
	var kept []string
	for l := range strings.SplitSeq(string(out), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "KEY") {
			kept = append(kept, l)
		}
	}
	if got := strings.Join(kept, "\n"); got != string(tmpl) {
		t.Errorf("Sign changed more than KEY lines:\n%s", got)
	}
	// Signing again replaces the keys in place: same bytes.
	again, err := Sign("layout.lic", out, priv)
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("signing a signed file changed it (err %v):\n%s", err, again)
	}
}

func TestSignInvalidTemplate(t *testing.T) {
	_, priv, _ := GenerateKey()
	in := []byte(feature("COUNT = 0", "GRACE = 500"))
	_, signErr := Sign("t.tmpl", in, priv)
	_, parseErr := Parse("t.tmpl", in)
	if signErr == nil || signErr.Error() != parseErr.Error() {
		t.Errorf("Sign error:\n%v\nwant the Parse error:\n%v", signErr, parseErr)
	}
	if _, err := Sign("t.tmpl", []byte(feature()), priv[:10]); err == nil {
		t.Error("Sign with a malformed key succeeded")
	}
}

// TestCanonicalCoversEveryField guards against a field that the parser
// accepts but the signature does not cover.
func TestCanonicalCoversEveryField(t *testing.T) {
	base := feature("COUNT = 5", "GRACE = 1", "BORROW = 1", "START = 2026-01-01",
		`HAL_SERVERS = "a:1 b:1 c:1"`, `HOSTID = "h1 h2 h3"`, "TOKEN_KEY = "+tk1)
	changes := map[string][2]string{
		"VENDOR":      {"VENDOR = acme", "VENDOR = acme2"},
		"VERSION":     {"VERSION = 2.0", "VERSION = 2.1"},
		"COUNT":       {"COUNT = 5", "COUNT = 6"},
		"GRACE":       {"GRACE = 1", "GRACE = 2"},
		"BORROW":      {"BORROW = 1", "BORROW = 2"},
		"HAL_SERVERS": {"c:1", "d:1"},
		"EXPIRE":      {"EXPIRE = 2030-12-31", "EXPIRE = permanent"},
		"START":       {"START = 2026-01-01", "START = 2026-01-02"},
		"HOSTID":      {"h3", "h4"},
		"TOKEN_KEY":   {tk1, tk2},
	}
	for field := range setters {
		if _, ok := changes[field]; !ok && field != "KEY" {
			t.Errorf("field %s has no case here: is it in Canonical?", field)
		}
	}
	orig := canonicalOf(t, base)
	for field, c := range changes {
		if got := canonicalOf(t, strings.Replace(base, c[0], c[1], 1)); bytes.Equal(got, orig) {
			t.Errorf("changing %s does not change the canonical form", field)
		}
	}
	if !bytes.HasPrefix(orig, []byte("floatlic-license-v1\nFEATURE=f\nBORROW=1\nCOUNT=5\n")) {
		t.Errorf("canonical form:\n%s", orig)
	}
}

func canonicalOf(t *testing.T, text string) []byte {
	t.Helper()
	f, err := Parse("t", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return Canonical(f.Features[0])
}

func TestLoad(t *testing.T) {
	pub, _ := testKey(t, "../../testdata/keys/test")
	f, err := Load("../../testdata/licenses/demo.lic", pub)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ft := range f.Features {
		names = append(names, ft.Name)
	}
	if !slices.Equal(names, []string{"cad_pro", "cad_view", "solver", "cad_reader"}) {
		t.Errorf("features = %v", names)
	}
	if _, err := Load("testdata/missing.lic", pub); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v", err)
	}
}
