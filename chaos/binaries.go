package chaos

import (
	"path/filepath"
	"strings"

	"github.com/floatlic/floatlic/internal/buildcmd"
)

// BuildLicd builds licd into dir, with the build tags tags ("" for none),
// and returns the binary's path: dir/licd, or dir/licd-TAGS with tags, so
// that builds with different tags can share dir. The current directory
// must be in this module (a test's package dir is).
func BuildLicd(dir, tags string) (string, error) {
	if tags == "" {
		return filepath.Join(dir, "licd"), buildcmd.Commands(dir, "licd")
	}
	bin := filepath.Join(dir, "licd-"+strings.NewReplacer(",", "-", " ", "-").Replace(tags))
	return bin, buildcmd.Tagged(bin, "licd", tags)
}
