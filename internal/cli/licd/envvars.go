package licd

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// withEnv lets each of serve's flags be set from the environment as
// LICD_<NAME> (--admin-token-file: LICD_ADMIN_TOKEN_FILE; a list such as
// --license takes commas), for a systemd EnvironmentFile. A flag on the
// command line wins. Flags that name their own variables keep them.
func withEnv(flags []cli.Flag) []cli.Flag {
	for _, f := range flags {
		env := []string{"LICD_" + strings.ToUpper(strings.ReplaceAll(f.Names()[0], "-", "_"))}
		switch f := f.(type) {
		case *cli.StringFlag:
			f.EnvVars = cmpEnv(f.EnvVars, env)
		case *cli.StringSliceFlag:
			f.EnvVars = cmpEnv(f.EnvVars, env)
		case *cli.IntFlag:
			f.EnvVars = cmpEnv(f.EnvVars, env)
		case *cli.Uint64Flag:
			f.EnvVars = cmpEnv(f.EnvVars, env)
		case *cli.DurationFlag:
			f.EnvVars = cmpEnv(f.EnvVars, env)
		case *cli.BoolFlag:
			f.EnvVars = cmpEnv(f.EnvVars, env)
		}
	}
	return flags
}

func cmpEnv(have, env []string) []string {
	if len(have) > 0 {
		return have
	}
	return env
}
