// Package licgen implements the licgen command: the vendor's tool to make a
// key pair, sign license templates, and verify and inspect license files.
// Each command lives in its own file as a method on a small struct; output
// goes to writers given to NewApp so tests can capture it.
package licgen

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/version"
)

// env is what every command needs: where to write, and the time.
type env struct {
	stdout, stderr io.Writer
	now            func() time.Time
}

// App returns the licgen app writing to os.Stdout and os.Stderr.
func App() *cli.App { return NewApp(os.Stdout, os.Stderr) }

// NewApp returns the licgen app writing its output to stdout and its
// problems to stderr. Run it with exit.Run.
func NewApp(stdout, stderr io.Writer) *cli.App {
	return newApp(&env{stdout: stdout, stderr: stderr, now: time.Now})
}

func newApp(e *env) *cli.App {
	return &cli.App{
		Name:      "licgen",
		Usage:     "make vendor keys; sign, verify and inspect floatlic license files",
		Version:   version.Version,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		Description: "A vendor makes a key pair once (keygen), signs each customer's license\n" +
			"template with the private key (sign), and ships the signed license and the\n" +
			"public key to the customer's licd. Exit codes: 0 ok, 1 invalid or refused,\n" +
			"2 usage or setup error.",
		Action: usage,
		Commands: []*cli.Command{
			withUsageErrors((&keygenCmd{e}).command()),
			withUsageErrors((&signCmd{e}).command()),
			withUsageErrors((&verifyCmd{e}).command()),
			withUsageErrors((&inspectCmd{e}).command()),
		},
	}
}

// usage runs when no command is given: it shows the help, or says that the
// command is unknown. Either way licgen exits 2.
func usage(c *cli.Context) error {
	if c.Args().Present() {
		return exit.Usagef(c, "unknown command %q", c.Args().First())
	}
	if err := cli.ShowAppHelp(c); err != nil {
		return err
	}
	return exit.Silent(exit.Setup)
}

// withUsageErrors makes a bad flag exit 2 with one line, instead of
// printing the command's whole help.
func withUsageErrors(c *cli.Command) *cli.Command {
	c.OnUsageError = func(ctx *cli.Context, err error, _ bool) error {
		return exit.Usagef(ctx, "%s: %v", c.Name, err)
	}
	return c
}

// fileArg returns the command's one file argument, named what in messages.
func fileArg(c *cli.Context, what string) (string, error) {
	args := c.Args().Slice()
	switch {
	case len(args) == 1:
		return args[0], nil
	case len(args) == 0:
		return "", exit.Usagef(c, "%s: missing the %s argument", c.Command.Name, what)
	}
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			return "", exit.Setupf("%s: flags go before the %s: licgen %s [flags] %s", c.Command.Name, what, c.Command.Name, what)
		}
	}
	return "", exit.Setupf("%s: want one %s, got %d arguments", c.Command.Name, what, len(args))
}

// required returns an error for a missing flag, with what it is for.
func required(c *cli.Context, flag, what string) error {
	if c.String(flag) != "" {
		return nil
	}
	return exit.Setupf("%s: --%s is required: %s", c.Command.Name, flag, what)
}

// problems prints every problem of a license file, one per line with its
// line number, then a last line saying what it means, and exits 1. An error
// that is no list of problems (the file cannot be read) exits 2.
func (e *env) problems(c *cli.Context, err error, path, outcome string) error {
	var list licfile.ErrorList
	if !errors.As(err, &list) {
		return exit.Setupf("%s: %w", c.Command.Name, err)
	}
	if c.Bool("json") { // the problems as details of a JSON error
		details := make([]string, len(list))
		for i, p := range list {
			details[i] = fmt.Sprint(p)
		}
		return &exit.Error{Code: exit.Refused, Details: details,
			Err: fmt.Errorf("%s: %s; %s", path, count(len(list), "problem"), outcome)}
	}
	for _, p := range list {
		fmt.Fprintln(e.stderr, p)
	}
	fmt.Fprintf(e.stderr, "licgen: %s: %s; %s\n", path, count(len(list), "problem"), outcome)
	return exit.Silent(exit.Refused)
}

// count returns "1 thing" or "n things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
