// Package buildcmd builds floatlic's commands for the tests that run them
// as a user would: the end-to-end tests, the chaos suite, the README test.
// It runs the go command, so the caller's working directory must be in
// this module (a test's is: its package dir).
package buildcmd

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// pkg is the import path of the commands' packages.
const pkg = "github.com/floatlic/floatlic/cmd/"

// Commands builds the named commands (licd, licgen, licstat, licborrow,
// licbench) into dir, each as dir/NAME, in one go build.
func Commands(dir string, names ...string) error {
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, name := range names {
		args = append(args, pkg+name)
	}
	return goCommand(args...)
}

// Tagged builds the command name with the build tags tags into the file
// path.
func Tagged(path, name, tags string) error {
	return goCommand("build", "-tags", tags, "-o", path, pkg+name)
}

func goCommand(args ...string) error {
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}
