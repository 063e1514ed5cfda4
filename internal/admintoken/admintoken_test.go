package admintoken

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path, want, wantErr string
	}{
		{"a token and a newline", write("ok", "s3cret\n"), "s3cret", ""},
		{"blanks around it", write("blanks", "  s3cret \r\n\n"), "s3cret", ""},
		{"empty", write("empty", "\n"), "", "admin token file " + filepath.Join(dir, "empty") + " is empty"},
		{"missing", filepath.Join(dir, "nope"), "", "read admin token: open " + filepath.Join(dir, "nope")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(tt.path)
			if got != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("Read = %q, %v; want %q, %q", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.token")
	tok, err := Write(path, false)
	if err != nil || len(tok) != 64 {
		t.Fatalf("Write = %q, %v; want 64 hex digits", tok, err)
	}
	if got, err := Read(path); got != tok || err != nil {
		t.Fatalf("Read after Write = %q, %v; want %q", got, err, tok)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if _, err := Write(path, false); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Write without replace: %v, want fs.ErrExist", err)
	}
	if got, _ := Read(path); got != tok {
		t.Fatal("a refused Write changed the file")
	}
	again, err := Write(path, true)
	if err != nil || again == tok {
		t.Fatalf("Write with replace = %q, %v; want a new token", again, err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
