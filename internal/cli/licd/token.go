package licd

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/admintoken"
	"github.com/floatlic/floatlic/internal/cli/exit"
)

func tokenCommand() *cli.Command {
	return &cli.Command{
		Name:  "token",
		Usage: "make a random admin token file for --admin-token-file",
		Description: "The file is mode 0600. Start licd serve with --admin-token-file FILE, and\n" +
			"give the same file to licd reload, stop and backup and to licstat.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: "admin.token", Usage: "`FILE` to write the token to"},
			&cli.BoolFlag{Name: "force", Usage: "replace FILE if it exists (a running licd keeps the old token until restarted)"},
			&cli.BoolFlag{Name: "json", Usage: "print where the token was written as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return exit.Setupf("unexpected argument %q (run 'licd token --help' for usage)", c.Args().First())
			}
			out := c.String("out")
			if err := writeToken(out, c.Bool("force")); err != nil {
				return err
			}
			if c.Bool("json") {
				return printJSON(struct {
					File string `json:"file"`
				}{out})
			}
			fmt.Fprintf(Stdout, "wrote a new admin token to %s (mode 0600)\n", out)
			fmt.Fprintf(Stdout, "use it with: licd serve --admin-token-file %s ...\n", out)
			fmt.Fprintf(Stdout, "        and: licd reload|stop|backup --admin-token-file %s, licstat --admin-token-file %s\n", out, out)
			return nil
		},
	}
}

// writeToken writes a new token to path (see admintoken.Write); without
// force an existing file is refused.
func writeToken(path string, force bool) error {
	_, err := admintoken.Write(path, force)
	if errors.Is(err, fs.ErrExist) {
		return exit.Setupf("token: %s exists: choose another --out, or add --force to replace it", path)
	}
	if err != nil {
		return exit.WithCode(exit.Setup, err)
	}
	return nil
}
