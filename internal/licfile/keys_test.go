package licfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteKeyPair(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "vendor")
	if err := WriteKeyPair(prefix, false); err != nil {
		t.Fatal(err)
	}
	for path, mode := range map[string]fs.FileMode{prefix + ".key": 0o600, prefix + ".pub": 0o644} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", path, st.Mode().Perm(), mode)
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
	if !pub.Equal(priv.Public()) {
		t.Fatal("the .pub does not match the .key")
	}
	if entries, _ := os.ReadDir(filepath.Dir(prefix)); len(entries) != 2 {
		t.Errorf("left %d files behind, want 2", len(entries))
	}

	before, _ := os.ReadFile(prefix + ".key")
	err = WriteKeyPair(prefix, false)
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second WriteKeyPair = %v, want fs.ErrExist and a hint to use --force", err)
	}
	if after, _ := os.ReadFile(prefix + ".key"); !bytes.Equal(before, after) {
		t.Error("the key was overwritten without force")
	}
	os.Remove(prefix + ".key") // the .pub alone also blocks
	if err := WriteKeyPair(prefix, false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteKeyPair over a lone .pub = %v, want fs.ErrExist", err)
	}
	if err := WriteKeyPair(prefix, true); err != nil {
		t.Fatalf("WriteKeyPair with force: %v", err)
	}
	if after, _ := os.ReadFile(prefix + ".key"); bytes.Equal(before, after) {
		t.Error("force did not replace the key")
	}
}

func TestReadKeyErrors(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "v")
	if err := WriteKeyPair(prefix, false); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	garbage := write("garbage", "FEATURE x {\n")
	short := write("short.pub", "floatlic-ed25519-public-key\nAAAA\n")
	commented := write("c.pub", "# made by hand\r\n\r\nfloatlic-ed25519-public-key\r\n"+
		strings.Split(string(must(os.ReadFile(prefix+".pub"))), "\n")[1]+"\r\n")

	tests := []struct {
		name string
		read func(string) error
		path string
		want string // "" = no error
	}{
		{"pub as private", readPriv, prefix + ".pub", prefix + ".pub is a floatlic public key, not a private key: use the .key file"},
		{"key as public", readPub, prefix + ".key", prefix + ".key is a floatlic private key, not a public key: use the .pub file"},
		{"not a key", readPub, garbage, garbage + `: not a floatlic public key file (want a first line "floatlic-ed25519-public-key", as licgen keygen writes)`},
		{"damaged", readPub, short, short + ": damaged public key: want 32 bytes of base64"},
		{"missing", readPriv, filepath.Join(dir, "none.key"), "open " + filepath.Join(dir, "none.key") + ": no such file or directory"},
		{"comments and CRLF", readPub, commented, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(tt.path)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func readPriv(p string) error { _, err := ReadPrivateKey(p); return err }
func readPub(p string) error  { _, err := ReadPublicKey(p); return err }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.lic")
	for _, data := range []string{"one", "two"} {
		if err := WriteFileAtomic(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(p); string(got) != data {
			t.Errorf("read %q, want %q", got, data)
		}
	}
	err := WriteFileAtomic(filepath.Join(dir, "no", "such", "dir.lic"), nil, 0o644)
	if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("error %v: want ErrNotExist without the temporary name", err)
	}
}

func TestParsePublicKey(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "v")
	if err := WriteKeyPair(prefix, false); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReadPublicKey(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	bare := strings.Split(strings.TrimSpace(string(file)), "\n")[1]
	seed, _ := os.ReadFile(prefix + ".key")
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"pub file", string(file), true},
		{"bare base64", bare, true},
		{"bare with spaces and comment", "# vendor acme\n  " + bare + "  \n", true},
		{"private key file", string(seed), false},
		{"two keys", bare + "\n" + bare, false},
		{"short", "c2hvcnQ=", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKey([]byte(tt.in))
			if tt.ok != (err == nil) || (tt.ok && !got.Equal(want)) {
				t.Fatalf("ParsePublicKey = %v, %v", got, err)
			}
		})
	}
}
