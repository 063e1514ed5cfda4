package admintoken

import (
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
