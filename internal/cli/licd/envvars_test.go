package licd

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// Every flag of licd serve can come from the environment as LICD_<NAME>,
// which deploy/licd.env relies on.
func TestServeFlagsReadTheEnvironment(t *testing.T) {
	for _, f := range serveCommand().Flags {
		name := f.Names()[0]
		want := "LICD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		df, ok := f.(cli.DocGenerationFlag)
		if !ok || len(df.GetEnvVars()) != 1 || df.GetEnvVars()[0] != want {
			t.Errorf("--%s reads no %s", name, want)
		}
	}
}
