package chaos

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildLicd builds ./cmd/licd of the module that holds the current
// directory (a test's package dir) into dir, with the build tags tags (""
// for none), and returns the binary's path: dir/licd, or dir/licd-TAGS with
// tags, so that builds with different tags can share dir.
func BuildLicd(dir, tags string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		return "", fmt.Errorf("build licd: the current directory is not in a module")
	}
	name := "licd"
	args := []string{"build"}
	if tags != "" {
		name += "-" + strings.NewReplacer(",", "-", " ", "-").Replace(tags)
		args = append(args, "-tags", tags)
	}
	bin, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return "", fmt.Errorf("build licd: %w", err)
	}
	cmd := exec.Command("go", append(args, "-o", bin, "./cmd/licd")...)
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -tags %q ./cmd/licd: %w\n%s", tags, err, out)
	}
	return bin, nil
}
