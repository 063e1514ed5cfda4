// Package licborrow is the end-user command licborrow: check a license out
// to test the setup, borrow and return licenses, and show the borrowed
// licenses and grace states kept for the user. It is a thin client of
// package licenses; cmd/licborrow only wires it to the process.
package licborrow

import (
	"errors"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/version"
	"github.com/floatlic/floatlic/licenses"
)

// App returns licborrow's command line. Output goes to the app's Writer
// (stdout unless a test sets another).
func App() *cli.App {
	return &cli.App{
		Name:    "licborrow",
		Usage:   "check out, borrow and return floatlic licenses; show borrowed licenses and grace state",
		Version: version.Version,
		Writer:  os.Stdout,
		Commands: []*cli.Command{
			checkoutCommand(),
			borrowCommand(),
			returnCommand(),
			listCommand(),
			graceCommand(),
		},
		HideHelpCommand: true,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return exit.Usagef(c, "unknown command %q", c.Args().First())
			}
			_ = cli.ShowAppHelp(c)
			return exit.Silent(exit.Setup)
		},
	}
}

// Flags shared by the commands; new ones for every command, as urfave/cli
// flags keep state.
func jsonFlag() cli.Flag { return &cli.BoolFlag{Name: "json", Usage: "print JSON for scripts"} }

func stateDirFlag() cli.Flag {
	return &cli.StringFlag{Name: "state-dir", EnvVars: []string{licenses.EnvStateDir}, Usage: "`DIR` of this user's " +
		"borrowed licenses and grace tokens (default: floatlic in the user's config dir)"}
}

func serverFlag() cli.Flag {
	return &cli.StringFlag{Name: "server", EnvVars: []string{licenses.EnvServer},
		Usage: "license server(s), `ADDR[,ADDR...]` as host:port"}
}

func versionFlag() cli.Flag {
	return &cli.StringFlag{Name: "version", Usage: "license `VERSION` (major.minor) to ask for (default: any)"}
}

// args parses the command's arguments, allowing flags after the positional
// ones (urfave/cli v2 stops at the first positional), and checks their
// number.
func args(c *cli.Context, min, max int, names string) ([]string, error) {
	var pos []string
	in := c.Args().Slice()
	for i := 0; i < len(in); i++ {
		a := in[i]
		if a == "--" {
			pos = append(pos, in[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			_ = cli.ShowSubcommandHelp(c)
			return nil, exit.Silent(exit.OK)
		}
		f := lookupFlag(c.Command, name)
		if f == nil {
			return nil, exit.Usagef(c, "flag provided but not defined: %s", a)
		}
		if _, isBool := f.(*cli.BoolFlag); isBool && !hasValue {
			value, hasValue = "true", true
		}
		if !hasValue {
			if i+1 >= len(in) {
				return nil, exit.Usagef(c, "flag needs an argument: %s", a)
			}
			i++
			value = in[i]
		}
		if err := c.Set(name, value); err != nil {
			return nil, exit.Usagef(c, "invalid value %q for flag -%s: %v", value, name, err)
		}
	}
	if _, ok := lookupFlag(c.Command, "version").(*cli.StringFlag); ok && c.String("version") != "" && !licfile.ValidVersion(c.String("version")) {
		v := c.String("version")
		// A usage error, found before asking a server (which refuses it too).
		return nil, exit.Usagef(c, "invalid value %q for flag --version: want major.minor, as 2.0", v)
	}
	if len(pos) < min || len(pos) > max {
		return nil, exit.Usagef(c, "usage: %s %s %s", c.App.Name, c.Command.Name, names)
	}
	return pos, nil
}

func lookupFlag(cmd *cli.Command, name string) cli.Flag {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// newClient makes the license client from the command's flags. With
// needServer, a missing server list is a usage error.
func newClient(c *cli.Context, o licenses.Options, needServer bool) (*licenses.Client, error) {
	if lookupFlag(c.Command, "server") != nil {
		o.Servers = licenses.ParseServers(c.String("server"))
	}
	if needServer && len(o.Servers) == 0 {
		return nil, errNoServerGiven
	}
	o.StateDir = c.String("state-dir")
	if lookupFlag(c.Command, "vendor-pub") != nil {
		key, err := vendorKey(c)
		if err != nil {
			return nil, err
		}
		o.VendorKey = key
	}
	cl, err := licenses.New(o)
	if err != nil {
		return nil, exit.WithCode(exit.Setup, err)
	}
	return cl, nil
}

var errNoServerGiven = exit.Setupf("no license server given: use --server ADDR or set %s", licenses.EnvServer)

// refused turns an error of package licenses into the command's error: a
// refusal with a code exits 1 and prints "code: message"; anything else is
// a setup problem (exit 2).
func refused(err error) error {
	if err == nil {
		return nil
	}
	var ee *exit.Error
	if errors.As(err, &ee) {
		return err
	}
	if licenses.ErrorCode(err) != "" {
		return exit.WithCode(exit.Refused, err)
	}
	return exit.WithCode(exit.Setup, err)
}

// rfc3339 formats t for JSON: RFC 3339 with its zone, or null when zero.
func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.RFC3339)
	return &s
}

// human formats t for a table, in local time with the zone.
func human(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.RFC3339)
}
