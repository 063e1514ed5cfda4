package buildcmd

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two commands")
	}
	dir := t.TempDir()
	if err := Commands(dir, "licgen", "licborrow"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"licgen", "licborrow"} {
		out, err := exec.Command(filepath.Join(dir, name), "--help").CombinedOutput()
		if err != nil || !strings.Contains(string(out), name) {
			t.Errorf("%s --help: %v\n%s", name, err, out)
		}
	}
}

func TestBuildFailureShowsTheCommand(t *testing.T) {
	err := Commands(t.TempDir(), "nosuch")
	if err == nil || !strings.Contains(err.Error(), "go build -o ") || !strings.Contains(err.Error(), pkg+"nosuch") {
		t.Fatalf("err = %v, want the go build line and the package", err)
	}
}
