// Package licstat is the licstat command: a live terminal monitor of a
// floatlic license server, or with --json / --once a one-shot report for
// scripts, like lmstat.
package licstat

import (
	"io"
	"os"

	"github.com/charmbracelet/x/term"
	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/version"
)

// Stdout and Stderr are where App writes; tests replace them, or set the
// returned App's Writer.
var (
	Stdout io.Writer = os.Stdout
	Stderr io.Writer = os.Stderr
)

// App returns the licstat command.
func App() *cli.App {
	return &cli.App{
		Name:            "licstat",
		Usage:           "watch a floatlic license server: features, checkouts, borrows, servers, events",
		UsageText:       "licstat [--server ADDR] [--admin-token-file FILE] [--json | --once]",
		Version:         version.Version,
		Writer:          Stdout,
		ErrWriter:       Stderr,
		HideHelpCommand: true,
		Flags:           flags(),
		Action:          run,
		Commands:        []*cli.Command{removeCommand(), reportCommand()},
		Description: "Without --json or --once, licstat shows a live view that follows the\n" +
			"server's events (press ? for its keys). When stdout is not a terminal it\n" +
			"prints the --once report instead.\n\n" +
			"Exit status: 0 ok, 1 the server cannot be reached or refused, 2 usage error.",
	}
}

func run(c *cli.Context) error {
	o, err := parseOptions(c)
	if err != nil {
		return err
	}
	w := c.App.Writer
	switch {
	case o.json:
		return printJSON(c.Context, o, w)
	case o.once || !isTerminal(w):
		return printOnce(c.Context, o, w)
	default:
		return runTUI(c.Context, o, w)
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// usage is a usage error: exit status 2.
func usage(format string, args ...any) error {
	return exit.UsageIn("licstat", format, args...)
}
