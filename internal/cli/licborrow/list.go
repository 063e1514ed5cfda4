package licborrow

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/licenses"
)

func listCommand() *cli.Command {
	return &cli.Command{
		Name:        "list",
		Usage:       "list the licenses borrowed by this user on this host",
		Description: "Lists the valid borrowed licenses kept in the state dir; needs no server.",
		Flags:       []cli.Flag{jsonFlag(), stateDirFlag(), vendorPubFlag()},
		Action:      runList,
	}
}

func runList(c *cli.Context) error {
	if _, err := args(c, 0, 0, ""); err != nil {
		return err
	}
	cl, err := newClient(c, licenses.Options{}, false)
	if err != nil {
		return err
	}
	borrows, err := cl.Borrows()
	if err != nil {
		return refused(err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		out := make([]borrowJSON, 0, len(borrows))
		for _, b := range borrows {
			out = append(out, toBorrowJSON(b))
		}
		return printJSON(w, out)
	}
	if len(borrows) == 0 {
		fmt.Fprintf(w, "no licenses borrowed by %s@%s\n", cl.User(), cl.Host())
		return nil
	}
	rows := make([][]string, 0, len(borrows))
	for _, b := range borrows {
		rows = append(rows, []string{b.Feature, b.Version, b.User, b.Host, human(b.Expires), b.BorrowID})
	}
	return printTable(w, []string{"FEATURE", "VERSION", "USER", "HOST", "EXPIRES", "BORROW ID"}, rows)
}
