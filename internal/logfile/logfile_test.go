package logfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRotateBySize(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keep  int
		lines int
		want  []string // FILE, FILE.1, FILE.2, ... after writing
		gone  string   // a file that must not exist
	}{
		{"keeps two", 2, 5, []string{"line4\n", "line2\nline3\n", "line0\nline1\n"}, ".3"},
		{"keeps none", 0, 3, []string{"line2\n"}, ".1"},
		{"no rotation yet", 3, 2, []string{"line0\nline1\n"}, ".1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "licd.log")
			l, err := Open(path, 12, tc.keep) // two 6-byte lines a file
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for i := range tc.lines {
				if _, err := l.Write([]byte("line" + string(rune('0'+i)) + "\n")); err != nil {
					t.Fatal(err)
				}
			}
			for i, want := range tc.want {
				name := path
				if i > 0 {
					name += "." + string(rune('0'+i))
				}
				if got := read(t, name); got != want {
					t.Errorf("%s = %q, want %q", filepath.Base(name), got, want)
				}
			}
			if _, err := os.Stat(path + tc.gone); !os.IsNotExist(err) {
				t.Errorf("%s exists (err %v)", filepath.Base(path+tc.gone), err)
			}
		})
	}
}

func TestLineLongerThanMaxIsWrittenWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licd.log")
	l, err := Open(path, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	long := strings.Repeat("x", 10) + "\n"
	l.Write([]byte(long))
	l.Write([]byte(long))
	if read(t, path) != long || read(t, path+".1") != long {
		t.Fatalf("file %q, .1 %q", read(t, path), read(t, path+".1"))
	}
}

func TestSizeCountsWhatWasThere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licd.log")
	os.WriteFile(path, []byte("old-line\n"), 0o600)
	l, err := Open(path, 12, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Write([]byte("new-line\n")) // 9+9 > 12: the old content rotates first
	if read(t, path) != "new-line\n" || read(t, path+".1") != "old-line\n" {
		t.Fatalf("file %q, .1 %q", read(t, path), read(t, path+".1"))
	}
}

// TestReopen is what logrotate does: move the file away, then SIGHUP.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "licd.log")
	l, err := Open(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Write([]byte("before\n"))
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	l.Write([]byte("still old\n")) // until reopened, into the moved file
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Write([]byte("after\n"))
	if got := read(t, path+".moved"); got != "before\nstill old\n" {
		t.Errorf("moved file = %q", got)
	}
	if got := read(t, path); got != "after\n" {
		t.Errorf("new file = %q", got)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm()&0o007 != 0 {
		t.Errorf("log file mode %v: others have access", fi.Mode())
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"100MB", 100e6, false}, {"100M", 100 << 20, false}, {"512KiB", 512 << 10, false},
		{"1g", 1 << 30, false}, {"4096", 4096, false}, {"0", 0, false}, {"1.5 GB", 1.5e9, false},
		{"", 0, true}, {"MB", 0, true}, {"10 parsecs", 0, true}, {"-1", 0, true},
	} {
		got, err := ParseSize(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v", tc.in, got, err)
		}
	}
}
