package licfile

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts can
// be signed, parsed again with the same meaning, and verified; and that Sign
// rejects what Parse rejects (unless only KEY lines are wrong).
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/templates/*.tmpl", "testdata/signed/*.lic", "../../testdata/licenses/*"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(feature("COUNT = 5", `HAL_SERVERS = "a:1 b:1 c:1"`, `HOSTID = "x y z"`)))
	f.Add([]byte(feature("COUNT = 5", `HAL_SERVERS = "a:1 b:1 c:1"`, `TOKEN_KEY = "`+tk1+" "+tk2+" "+tk3+`"`)))
	f.Add([]byte(feature("COUNT = 5", "TOKEN_KEY = "+tk1+"=")))
	f.Add([]byte("FEATURE a\n{\nKEY=\"\n}\n"))
	f.Add([]byte(""))
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pub := key.Public().(ed25519.PublicKey)

	f.Fuzz(func(t *testing.T, data []byte) {
		file, parseErr := Parse("f.lic", data)
		signed, signErr := Sign("f.lic", data, key)
		if parseErr != nil {
			if signErr == nil && !onlyKeyErrors(parseErr) {
				t.Fatalf("Sign accepted what Parse rejects:\n%v", parseErr)
			}
			return
		}
		if signErr != nil {
			t.Fatalf("Parse accepted, Sign failed: %v", signErr)
		}
		again, err := Parse("f.lic", signed)
		if err != nil {
			t.Fatalf("signed output does not parse: %v\n%s", err, signed)
		}
		if err := again.Verify(pub); err != nil {
			t.Fatalf("signed output does not verify: %v\n%s", err, signed)
		}
		if len(again.Features) != len(file.Features) {
			t.Fatalf("%d features after signing, %d before", len(again.Features), len(file.Features))
		}
		for i, ft := range file.Features {
			if !bytes.Equal(Canonical(ft), Canonical(again.Features[i])) {
				t.Fatalf("feature %s changed meaning when signed", ft.Name)
			}
		}
		for _, ft := range again.Features {
			checkFormat(t, ft, pub)
		}
		resigned, err := Sign("f.lic", signed, key)
		if err != nil || !bytes.Equal(resigned, signed) {
			t.Fatalf("signing twice differs (err %v)", err)
		}
	})
}

// checkFormat checks that Format gives a block that parses on its own to
// the same canonical form and KEY, and verifies.
func checkFormat(t *testing.T, ft *Feature, pub ed25519.PublicKey) {
	t.Helper()
	block := Format(ft)
	one, err := Parse("block", block)
	if err != nil {
		t.Fatalf("Format output does not parse: %v\n%s", err, block)
	}
	if len(one.Features) != 1 || !bytes.Equal(Canonical(one.Features[0]), Canonical(ft)) || one.Features[0].Key != ft.Key {
		t.Fatalf("Format changed feature %s:\n%s", ft.Name, block)
	}
	if err := one.Verify(pub); err != nil {
		t.Fatalf("Format output does not verify: %v\n%s", err, block)
	}
}

// onlyKeyErrors reports whether every problem in err is about a KEY field,
// which Sign replaces instead of reading.
func onlyKeyErrors(err error) bool {
	var list ErrorList
	if !errors.As(err, &list) {
		return false
	}
	for _, e := range list {
		if e.Field != "KEY" {
			return false
		}
	}
	return true
}
