package licborrow

import (
	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/licenses"
)

func returnCommand() *cli.Command {
	return &cli.Command{
		Name:      "return",
		Usage:     "give a borrowed license back early",
		ArgsUsage: "FEATURE",
		Description: "Returns the license of FEATURE borrowed by this user and host to the server it " +
			"came from (or --server) and deletes the local token.",
		Flags: []cli.Flag{
			serverFlag(),
			jsonFlag(),
			stateDirFlag(),
		},
		Action: runReturn,
	}
}

func runReturn(c *cli.Context) error {
	pos, err := args(c, 1, 1, "FEATURE")
	if err != nil {
		return err
	}
	cl, err := newClient(c, licenses.Options{}, false)
	if err != nil {
		return err
	}
	if err := cl.Return(c.Context, pos[0]); err != nil {
		return refused(err)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]any{"feature": pos[0], "returned": true})
	}
	say(c.App.Writer, "returned %s", pos[0])
	return nil
}
