package exit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// usageError is a mistake in the command line: it exits 2 and says which
// command's --help tells the right usage.
type usageError struct {
	err  error
	help string // "licd serve": the command whose --help to run
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Usagef returns a usage error of the command c runs: one line, then
// "run 'PROG CMD --help' for usage"; exit 2.
func Usagef(c *cli.Context, format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...), help: helpName(c)}
}

// UsageIn is Usagef for a caller without the context: help is the command
// line whose --help tells the usage ("licstat").
func UsageIn(help, format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...), help: help}
}

// helpName is the command line whose --help shows c's usage.
func helpName(c *cli.Context) string {
	if c != nil && c.Command != nil && c.Command.HelpName != "" {
		return c.Command.HelpName
	}
	if c != nil && c.App != nil {
		return c.App.Name
	}
	return ""
}

// usageLine returns err's message, and for a usage error where to read
// the usage.
func usageLine(err error, msg string) string {
	var ue *usageError
	if errors.As(err, &ue) && ue.help != "" {
		return msg + " (run '" + ue.help + " --help' for usage)"
	}
	return msg
}

// prepare gives every command of app the same handling of a bad command
// line — one line naming the problem and exit 2, never the whole help that
// urfave/cli prints on a bad flag or a missing required one — and adds
// shell completion (see completion.go).
func prepare(app *cli.App) {
	app.OnUsageError = onUsageError
	if app.Action == nil && len(app.Commands) > 0 {
		app.Action = unknownCommand // urfave/cli's own says "No help topic" and exits 3
	}
	addCompletion(app)
	for _, c := range app.Commands {
		prepareCommand(c)
	}
	app.Action = checkRequired(app.Flags, app.Action)
}

func prepareCommand(c *cli.Command) {
	if c.OnUsageError == nil {
		c.OnUsageError = onUsageError
	}
	for _, sub := range c.Subcommands {
		prepareCommand(sub)
	}
	if c.Action != nil {
		c.Action = checkRequired(c.Flags, c.Action)
	}
}

func onUsageError(c *cli.Context, err error, _ bool) error {
	return &usageError{err: err, help: helpName(c)}
}

// unknownCommand is the action of an app with commands when none is named:
// the help, or an unknown command's name.
func unknownCommand(c *cli.Context) error {
	if c.Args().Present() {
		return Usagef(c, "unknown command %q", c.Args().First())
	}
	if err := cli.ShowAppHelp(c); err != nil {
		return err
	}
	return Silent(Setup)
}

// checkRequired takes the checking of required flags from urfave/cli, which
// prints the whole help with it, and does it before action.
func checkRequired(flags []cli.Flag, action cli.ActionFunc) cli.ActionFunc {
	var names []string
	for _, f := range flags {
		if unrequire(f) {
			names = append(names, f.Names()[0])
		}
	}
	if len(names) == 0 || action == nil {
		return action
	}
	return func(c *cli.Context) error {
		var missing []string
		for _, n := range names {
			if !c.IsSet(n) {
				missing = append(missing, "--"+n)
			}
		}
		switch len(missing) {
		case 0:
			return action(c)
		case 1:
			return Usagef(c, "%s is required", missing[0])
		}
		return Usagef(c, "%s are required", strings.Join(missing, " and "))
	}
}

// unrequire clears a flag's Required and reports whether it was set. The
// flag types floatlic's commands mark required are known here.
func unrequire(f cli.Flag) bool {
	var req *bool
	switch f := f.(type) {
	case *cli.StringFlag:
		req = &f.Required
	case *cli.StringSliceFlag:
		req = &f.Required
	case *cli.PathFlag:
		req = &f.Required
	case *cli.IntFlag:
		req = &f.Required
	case *cli.DurationFlag:
		req = &f.Required
	default:
		return false
	}
	was := *req
	*req = false
	return was
}
