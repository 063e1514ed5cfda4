// Package licd is the licd command: `serve`, `demo`, `hostid` and
// `token-key`; `token`, and the admin commands `reload`, `stop` and
// `backup` that talk to a running licd.
package licd

import (
	"io"
	"os"

	"github.com/floatlic/floatlic/internal/version"
	"github.com/urfave/cli/v2"
)

// Stdout and Stderr are where the commands write; tests replace them.
var (
	Stdout io.Writer = os.Stdout
	Stderr io.Writer = os.Stderr
)

// App returns the licd command line.
func App() *cli.App {
	return &cli.App{
		Name:    "licd",
		Usage:   "the floatlic license server",
		Version: version.Version,
		Writer:  Stdout,
		Commands: []*cli.Command{
			serveCommand(),
			demoCommand(),
			hostidCommand(),
			tokenKeyCommand(),
			tokenCommand(),
			reloadCommand(),
			stopCommand(),
			backupCommand(),
		},
	}
}
